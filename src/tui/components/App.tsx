// The whole screen: finished trials scroll away above (<Static>), and a live
// area (header, one view, footer) that is sized to the terminal so it never
// grows past its height (Ink would clear and repaint the whole screen) nor
// wraps past its width.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Static, useInput, useStdin, useStdout } from 'ink';
import type { Selection } from '../../report/index.js';
import type { LogItem } from '../model.js';
import type { SweepStore } from '../store.js';
import { navigateGrids, stepValue, VIEWS, type GridWant, type ViewName } from '../views.js';
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

  const [view, setView] = useState<ViewName>(props.initialView ?? 'running');
  const [table, setTable] = useState(0);
  const [want, setWant] = useState<GridWant>({});
  const [failedOffset, setFailedOffset] = useState(0);
  const [confirming, setConfirming] = useState(false);

  const start = props.onStop !== undefined;
  const report = snapshot.report;

  // Ink re-subscribes the input handler after a render commits; keys that
  // arrive in between must still see the state just rendered, not the one
  // before it (a fast "3" then "→" would move the table instead of the class).
  const latest = useRef({ view, want, confirming, snapshot, body });
  latest.current = { view, want, confirming, snapshot, body };

  // Keys need raw mode; with stdin not a terminal (`< /dev/null`) the screen still shows, without keys.
  const { isRawModeSupported } = useStdin();
  useInput((input, key) => {
    const { view, want, confirming, snapshot, body } = latest.current;
    const report = snapshot.report;
    if (key.ctrl && input === 'c') {
      if (start) props.onStop!();
      else props.onQuit();
      return;
    }
    if (confirming) {
      if (input === 'y' || input === 'Y') {
        setConfirming(false);
        props.onStop!();
      } else if (input === 'n' || input === 'N' || input === 'q' || key.escape) setConfirming(false);
      return;
    }
    if (input === 'q') {
      if (!start) props.onQuit();
      else if (!snapshot.stopping) setConfirming(true);
      return;
    }
    const direct = VIEWS.find((v) => v.key === input || v.name[0] === input);
    if (direct) return setView(direct.name);
    if (key.tab) return setView(stepValue(VIEWS.map((v) => v.name), view, key.shift ? -1 : 1)!);

    if (view === 'best') {
      if (key.leftArrow) setTable((t) => t - 1);
      else if (key.rightArrow) setTable((t) => t + 1);
      else if (input === 's' && props.onSelect) {
        // The export's order: oracle, median, then the study's default point when it names one.
        const choices: Selection[] = props.canSelectDefault ? ['oracle', 'median', 'default'] : ['oracle', 'median'];
        props.onSelect(stepValue(choices, snapshot.select, 1)!);
      }
    } else if (view === 'grid' && report) {
      const nav = navigateGrids(report.grids, want);
      const w = { rowId: nav.rowId ?? undefined, normalClass: nav.normalClass ?? undefined, contamination: nav.contamination ?? undefined, page: nav.page };
      if (key.upArrow || key.downArrow) setWant({ ...w, rowId: stepValue(nav.rows.map((r) => r.id), nav.rowId, key.upArrow ? -1 : 1), page: 0 });
      else if (key.leftArrow || key.rightArrow)
        setWant({ ...w, normalClass: stepValue(nav.classes.map((c) => c.normalClass), nav.normalClass, key.leftArrow ? -1 : 1), page: 0 });
      else if (input === 'n' || key.pageDown) setWant({ ...w, page: nav.pages.length ? (nav.page + 1) % nav.pages.length : 0 });
      else if (input === 'p' || key.pageUp) setWant({ ...w, page: nav.pages.length ? (nav.page - 1 + nav.pages.length) % nav.pages.length : 0 });
      else if (input === 'c') setWant({ ...w, contamination: stepValue(nav.contaminations, nav.contamination, 1), page: 0 });
    } else if (view === 'failed') {
      const max = Math.max(0, snapshot.failed.length - 1);
      if (key.downArrow) setFailedOffset((o) => Math.min(max, o + 1));
      else if (key.upArrow) setFailedOffset((o) => Math.max(0, o - 1));
      else if (key.pageDown) setFailedOffset((o) => Math.min(max, o + Math.max(1, body - 2)));
      else if (key.pageUp) setFailedOffset((o) => Math.max(0, o - Math.max(1, body - 2)));
    }
  }, { isActive: isRawModeSupported === true });

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
          {view === 'best' && <BestTable report={report} error={snapshot.reportError} table={table} width={width} height={body} />}
          {view === 'grid' && <AblationGrid report={report} want={want} width={width} height={body} />}
          {view === 'failed' && (
            <FailedTrials failed={snapshot.failed} offset={failedOffset} dataset={snapshot.dataset} width={width} height={body} />
          )}
          <Footer view={view} mode={snapshot.mode} failed={snapshot.counts.failed} confirming={confirming} stopping={snapshot.stopping} width={width} />
        </Box>
      )}
    </>
  );
}
