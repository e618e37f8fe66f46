// `sweep monitor <study>`: watch a study another process is running, from its
// database alone. The file is opened read-only (WAL: the running sweep never
// waits for us) and polled; nothing is ever written. In a terminal it shows
// the same live screen as `sweep start`; in a pipe it prints plain lines.
import { setTimeout as delay } from 'node:timers/promises';
import { openTargetReadonly, resolveTarget } from '../../target.js';
import { expandGridAsync } from '../../../grid/expand.js';
import { readStudyDefinition } from '../../../report/index.js';
import { ASCII_GLYPHS, MonitorFeed, logLine, plainText, showMonitorScreen, type Caps } from '../../../tui/index.js';

export interface MonitorOptions {
  /** A study file or a study name (as status and export). */
  readonly target: string;
  readonly db?: string;
  /** Stops the monitor (the CLI's SIGINT/SIGTERM); q and Ctrl-C on the screen stop it too. */
  readonly signal: AbortSignal;
  /** Poll interval (ms), default 1000. */
  readonly pollMs?: number;
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  readonly caps?: Caps;
  /** Plain mode: where lines go (default stdout). */
  readonly write?: (line: string) => void;
}

export async function runMonitor(opts: MonitorOptions): Promise<void> {
  const target = resolveTarget(opts.target, opts.db);
  const { storage, study } = await openTargetReadonly(target);
  try {
    const def = readStudyDefinition(study.systemAttrs);
    let points;
    try {
      points = def ? await expandGridAsync(def.grid, opts.signal) : undefined;
    } catch (err) {
      if (opts.signal.aborted) return; // stopping is how a monitor ends
      throw err;
    }
    const feed = new MonitorFeed({ storage, study, pollMs: opts.pollMs, points });
    const stdout = opts.stdout ?? process.stdout;
    if (stdout.isTTY)
      await showMonitorScreen(feed, { stdout, stdin: opts.stdin, caps: opts.caps, signal: opts.signal });
    else await plain(feed, opts.write ?? ((l) => void stdout.write(l + '\n')), opts.signal, storage.location);
  } finally {
    await storage.close();
  }
}

/**
 * A pipe gets one line per finished trial and a counts line when the counts
 * change, ASCII only, no escape codes; it ends when nothing runs or waits.
 */
async function plain(
  feed: MonitorFeed,
  write: (line: string) => void,
  signal: AbortSignal,
  dbPath: string,
): Promise<void> {
  const stamp = () => new Date().toISOString().slice(11, 19);
  let printed = 0;
  let lastCounts = '';
  const s0 = feed.store.getSnapshot();
  write(`[${stamp()}] monitoring study ${s0.study} (${dbPath}), read-only`);
  const report = () => {
    feed.store.flush();
    const s = feed.store.getSnapshot();
    for (const item of s.log.slice(printed))
      write(`[${stamp()}] ${plainText(logLine(item, Number.MAX_SAFE_INTEGER, ASCII_GLYPHS, s.dataset))}`);
    printed = s.log.length;
    const c = s.counts;
    const counts = `trials ${c.complete}/${s.points} done, ${c.running} running, ${c.waiting} waiting, ${c.failed} failed`;
    if (counts !== lastCounts) write(`[${stamp()}] ${counts}${s.stale ? ` (database: ${s.stale})` : ''}`);
    lastCounts = counts;
    return s;
  };
  await feed.poll();
  let s = report();
  while (!signal.aborted && (s.counts.running > 0 || s.counts.waiting > 0)) {
    await sleep(feed.pollMs, signal);
    if (signal.aborted) break;
    await feed.poll();
    s = report();
  }
  // The end: every finished trial read, also those that started and ended between two polls.
  if (!signal.aborted) {
    await feed.poll(true);
    report();
  }
  await feed.stop();
}

/** Waits ms, or less when the signal aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
