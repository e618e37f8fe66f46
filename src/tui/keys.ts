// The screen's key handling as a pure reducer: (state, key) -> state, plus
// what the key asks of the outside (quit, stop the sweep, choose another
// selection). App.tsx feeds it Ink's keys and performs the effect; tests feed
// it keys directly, with no terminal (test/tui/keys.test.ts).
import type { ReportModel, Selection } from '../report/index.js';
import { navigateGrids, stepValue, VIEWS, type GridWant, type ViewName } from './views.js';

/** What the keys change: which view, and where each view is. */
export interface ScreenState {
  readonly view: ViewName;
  /** The best view's table index (the view clamps it to the tables there are). */
  readonly table: number;
  readonly want: GridWant;
  readonly failedOffset: number;
  /** `q` in `sweep start` asks first: y stops, n (or q, Esc) goes back. */
  readonly confirming: boolean;
}

/** A key as Ink reports it (its `Key` flags, the ones the screen uses). */
export interface KeyPress {
  readonly input: string;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
  readonly tab?: boolean;
  readonly escape?: boolean;
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
}

/** What the reducer reads but does not change: the data on the screen and the mode. */
export interface KeyContext {
  /** `sweep start` (q asks, Ctrl-C stops the sweep) rather than `sweep monitor` (q and Ctrl-C leave). */
  readonly start: boolean;
  /** The sweep is already stopping: q asks nothing more. */
  readonly stopping: boolean;
  readonly report: ReportModel | null;
  readonly failedCount: number;
  /** Lines of the view: a page of the failed list. */
  readonly body: number;
  /** The report selection shown now. */
  readonly select: Selection;
  /** Whether `s` can choose another selection, and whether "default" is one (the study names a defaultPoint). */
  readonly canSelect: boolean;
  readonly canSelectDefault: boolean;
}

export type KeyEffect =
  { readonly kind: 'quit' } | { readonly kind: 'stop' } | { readonly kind: 'select'; readonly select: Selection };

export interface KeyResult {
  readonly state: ScreenState;
  readonly effect: KeyEffect | null;
}

export function initialScreen(view: ViewName = 'running'): ScreenState {
  return { view, table: 0, want: {}, failedOffset: 0, confirming: false };
}

export function reduceKey(s: ScreenState, key: KeyPress, ctx: KeyContext): KeyResult {
  const same = { state: s, effect: null };
  const to = (patch: Partial<ScreenState>): KeyResult => ({ state: { ...s, ...patch }, effect: null });
  const { input } = key;
  if (key.ctrl && input === 'c') return { state: s, effect: { kind: ctx.start ? 'stop' : 'quit' } };
  if (s.confirming) {
    if (input === 'y' || input === 'Y') return { state: { ...s, confirming: false }, effect: { kind: 'stop' } };
    if (input === 'n' || input === 'N' || input === 'q' || key.escape) return to({ confirming: false });
    return same;
  }
  if (input === 'q') {
    if (!ctx.start) return { state: s, effect: { kind: 'quit' } };
    return ctx.stopping ? same : to({ confirming: true });
  }
  const direct = VIEWS.find((v) => v.key === input || v.name[0] === input);
  if (direct) return to({ view: direct.name });
  if (key.tab)
    return to({
      view: stepValue(
        VIEWS.map((v) => v.name),
        s.view,
        key.shift ? -1 : 1,
      )!,
    });

  if (s.view === 'best') {
    if (key.leftArrow) return to({ table: s.table - 1 });
    if (key.rightArrow) return to({ table: s.table + 1 });
    if (input === 's' && ctx.canSelect) {
      // The export's order: oracle, median, then the study's default point when it names one.
      const choices: Selection[] = ctx.canSelectDefault ? ['oracle', 'median', 'default'] : ['oracle', 'median'];
      return { state: s, effect: { kind: 'select', select: stepValue(choices, ctx.select, 1)! } };
    }
    return same;
  }
  if (s.view === 'grid' && ctx.report) {
    const nav = navigateGrids(ctx.report.grids, s.want);
    const w: GridWant = {
      rowId: nav.rowId ?? undefined,
      normalClass: nav.normalClass ?? undefined,
      contamination: nav.contamination ?? undefined,
      page: nav.page,
    };
    const pages = nav.pages.length;
    if (key.upArrow || key.downArrow)
      return to({
        want: {
          ...w,
          rowId: stepValue(
            nav.rows.map((r) => r.id),
            nav.rowId,
            key.upArrow ? -1 : 1,
          ),
          page: 0,
        },
      });
    if (key.leftArrow || key.rightArrow)
      return to({
        want: {
          ...w,
          normalClass: stepValue(
            nav.classes.map((c) => c.normalClass),
            nav.normalClass,
            key.leftArrow ? -1 : 1,
          ),
          page: 0,
        },
      });
    if (input === 'n' || key.pageDown) return to({ want: { ...w, page: pages ? (nav.page + 1) % pages : 0 } });
    if (input === 'p' || key.pageUp) return to({ want: { ...w, page: pages ? (nav.page - 1 + pages) % pages : 0 } });
    if (input === 'c')
      return to({ want: { ...w, contamination: stepValue(nav.contaminations, nav.contamination, 1), page: 0 } });
    return same;
  }
  if (s.view === 'failed') {
    const max = Math.max(0, ctx.failedCount - 1);
    const page = Math.max(1, ctx.body - 2);
    if (key.downArrow) return to({ failedOffset: Math.min(max, s.failedOffset + 1) });
    if (key.upArrow) return to({ failedOffset: Math.max(0, s.failedOffset - 1) });
    if (key.pageDown) return to({ failedOffset: Math.min(max, s.failedOffset + page) });
    if (key.pageUp) return to({ failedOffset: Math.max(0, s.failedOffset - page) });
  }
  return same;
}
