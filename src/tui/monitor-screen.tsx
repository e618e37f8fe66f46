// The monitor's screen: the same App as `sweep start`, fed by polling.
import type { Caps } from './caps.js';
import { detectCaps } from './caps.js';
import type { MonitorFeed } from './poll.js';
import { UiProvider } from './theme.js';
import { App } from './components/App.js';
import { mountScreen } from './mount.js';

export interface MonitorScreenOptions {
  readonly stdout: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  readonly caps?: Caps;
  readonly signal: AbortSignal;
}

/** Shows the screen until q, Ctrl-C or the signal; then gives the terminal back. */
export async function showMonitorScreen(feed: MonitorFeed, opts: MonitorScreenOptions): Promise<void> {
  if (opts.signal.aborted) return;
  const caps = opts.caps ?? detectCaps();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const screen = mountScreen(
    <UiProvider caps={caps}>
      <App
        store={feed.store}
        onQuit={() => done()}
        onSelect={(s) => feed.keeper.setSelect(s)}
        canSelectDefault={feed.hasDefaultPoint}
      />
    </UiProvider>,
    feed.store,
    { stdout: opts.stdout, stdin: opts.stdin ?? process.stdin },
  );
  const clock = setInterval(() => feed.store.tick(), 1000);
  opts.signal.addEventListener('abort', () => done(), { once: true });
  feed.start();
  try {
    await finished;
  } finally {
    clearInterval(clock);
    await feed.stop();
    screen.finish();
  }
}
