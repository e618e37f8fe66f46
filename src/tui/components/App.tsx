// The whole screen: finished trials scroll away above (<Static>), and a live
// area (header, one view, footer) that is sized to the terminal so it never
// grows past its height (Ink would clear and repaint the whole screen) nor
// wraps past its width.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Static, useInput, useStdin, useStdout } from 'ink';
import type { Selection } from '../../report/index.js';
import type { LogItem } from '../model.js';
import type { SweepStore } from '../store.js';
import type { ViewName } from '../views.js';
import { initialScreen, reduceKey, type ScreenState } from '../keys.js';
import { AblationGrid, BestTable, FailedTrials, Footer, Header, LogLine, Rule, RunningTrials } from './views.js';

export interface AppProps {
  readonly store: SweepStore;
  /** Leave the screen (monitor: q and Ctrl-C; start: not used for q, which asks first). */
  readonly onQuit: () => void;
  /** `sweep start` only: stop the sweep as Ctrl-C does. Its presence makes q ask first. */
  readonly onStop?: () => void;
  /** A new report selection was chosen (s). */
  readonly onSelect?: (select: Selection) => void;
  /** The study has a defaultPoint, so the "default" selection exists. */
  readonly canSelectDefault?: boolean;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  readonly width?: number;
  readonly height?: number;
  readonly initialView?: ViewName;
}

/** The terminal's size, updated on resize. */
function useTerminalSize(fixed: { width?: number; height?: number }): { width: number; height: number } {
  const { stdout } = useStdout();
  const read = () => ({ width: fixed.width ?? (stdout.columns || 80), height: fixed.height ?? (stdout.rows || 24) });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout, fixed.width, fixed.height]);
  return size;
}

/** Lines the live area uses besides the view: header (3), rule, footer. */
const CHROME = 5;

export function App(props: AppProps) {
  const snapshot = useSyncExternalStore(props.store.subscribe, props.store.getSnapshot);
  const { width: termWidth, height: termHeight } = useTerminalSize(props);
  // One column spare: some terminals wrap when the last column is written.
  const width = Math.max(20, termWidth - 1);
  // One line spare: a live area as tall as the terminal makes Ink repaint everything.
  const live = Math.max(1, termHeight - 1);
  const body = Math.max(0, live - CHROME);

  const [screen, setScreen] = useState<ScreenState>(() => initialScreen(props.initialView));
  const { view, table, want, failedOffset, confirming } = screen;

  const start = props.onStop !== undefined;
  const report = snapshot.report;

  // Ink re-subscribes the input handler after a render commits; keys that
  // arrive in between must still see the state just rendered (or just
  // reduced), not the one before it (a fast "3" then "→" would move the table
  // instead of the class).
  const latest = useRef({ screen, snapshot, body });
  latest.current = { screen, snapshot, body };

  // Keys need raw mode; with stdin not a terminal (`< /dev/null`) the screen still shows, without keys.
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      const { screen, snapshot, body } = latest.current;
      const { state, effect } = reduceKey(
        screen,
        { ...key, input },
        {
          start,
          stopping: snapshot.stopping,
          report: snapshot.report,
          failedCount: snapshot.failed.length,
          body,
          select: snapshot.select,
          canSelect: props.onSelect !== undefined,
          canSelectDefault: props.canSelectDefault ?? false,
        },
      );
      if (state !== screen) {
        latest.current.screen = state;
        setScreen(state);
      }
      if (effect?.kind === 'quit') props.onQuit();
      else if (effect?.kind === 'stop') props.onStop?.();
      else if (effect?.kind === 'select') props.onSelect?.(effect.select);
    },
    { isActive: isRawModeSupported === true },
  );

  return (
    <>
      <Static items={snapshot.log as LogItem[]}>
        {(item) => <LogLine key={item.key} item={item} width={width} dataset={snapshot.dataset} />}
      </Static>
      {live < CHROME + 1 ? (
        // A tiny terminal: the counts line is all that fits.
        <Header snapshot={snapshot} width={width} only={1} />
      ) : (
        <Box flexDirection="column">
          <Header snapshot={snapshot} width={width} />
          <Rule width={width} />
          {view === 'running' && <RunningTrials snapshot={snapshot} width={width} height={body} />}
          {view === 'best' && (
            <BestTable report={report} error={snapshot.reportError} table={table} width={width} height={body} />
          )}
          {view === 'grid' && <AblationGrid report={report} want={want} width={width} height={body} />}
          {view === 'failed' && (
            <FailedTrials
              failed={snapshot.failed}
              offset={failedOffset}
              dataset={snapshot.dataset}
              width={width}
              height={body}
            />
          )}
          <Footer
            view={view}
            mode={snapshot.mode}
            failed={snapshot.counts.failed}
            confirming={confirming}
            stopping={snapshot.stopping}
            width={width}
          />
        </Box>
      )}
    </>
  );
}
