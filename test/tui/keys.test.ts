// The screen's keys as a pure reducer (src/tui/keys.ts): every binding is
// checked here without a terminal, Ink or React; the grid navigation runs on
// a report built from hand-made trials.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialScreen, reduceKey, type KeyContext, type KeyPress, type ScreenState } from '../../src/tui/keys.js';
import { navigateGrids } from '../../src/tui/views.js';
import { buildReport } from '../../src/report/model.js';
import { studyOf, trialsFor } from '../report/fixtures.js';

const MONITOR: KeyContext = {
  start: false,
  stopping: false,
  report: null,
  failedCount: 0,
  body: 10,
  select: 'oracle',
  canSelect: true,
  canSelectDefault: false,
};
const START: KeyContext = { ...MONITOR, start: true };

/** Presses keys in order; returns the final state and every effect asked for. */
function press(keys: readonly (string | KeyPress)[], ctx: KeyContext, from: ScreenState = initialScreen()) {
  let s = from;
  const effects: unknown[] = [];
  for (const k of keys) {
    const r = reduceKey(s, typeof k === 'string' ? { input: k } : k, ctx);
    s = r.state;
    if (r.effect) effects.push(r.effect);
  }
  return { state: s, effects };
}

describe('keys', () => {
  it('switch views by number, by initial and by Tab (Shift-Tab back)', () => {
    assert.equal(press(['2'], MONITOR).state.view, 'best');
    assert.equal(press(['g'], MONITOR).state.view, 'grid');
    assert.equal(press([{ input: '', tab: true }], MONITOR).state.view, 'best');
    assert.equal(press([{ input: '', tab: true, shift: true }], MONITOR).state.view, 'failed');
    assert.equal(press(['4', '1'], MONITOR).state.view, 'running');
  });

  it('q leaves the monitor at once; in start it asks, y stops, n goes back', () => {
    assert.deepEqual(press(['q'], MONITOR).effects, [{ kind: 'quit' }]);
    const asked = press(['q'], START);
    assert.equal(asked.state.confirming, true);
    assert.deepEqual(asked.effects, []);
    // While asking, other keys do nothing.
    assert.equal(press(['2'], START, asked.state).state.view, 'running');
    assert.deepEqual(press(['y'], START, asked.state), {
      state: { ...asked.state, confirming: false },
      effects: [{ kind: 'stop' }],
    });
    assert.deepEqual(press(['n'], START, asked.state).effects, []);
    assert.equal(press([{ input: '', escape: true }], START, asked.state).state.confirming, false);
    // Already stopping: q asks nothing more.
    assert.equal(press(['q'], { ...START, stopping: true }).state.confirming, false);
  });

  it('Ctrl-C stops the sweep in start and leaves the monitor', () => {
    assert.deepEqual(press([{ input: 'c', ctrl: true }], START).effects, [{ kind: 'stop' }]);
    assert.deepEqual(press([{ input: 'c', ctrl: true }], MONITOR).effects, [{ kind: 'quit' }]);
  });

  it('best: arrows move between tables, s cycles the selections (default only when the study names one)', () => {
    const best = press(['2'], MONITOR).state;
    assert.equal(
      press(
        [
          { input: '', rightArrow: true },
          { input: '', rightArrow: true },
          { input: '', leftArrow: true },
        ],
        MONITOR,
        best,
      ).state.table,
      1,
    );
    assert.deepEqual(press(['s'], MONITOR, best).effects, [{ kind: 'select', select: 'median' }]);
    assert.deepEqual(press(['s'], { ...MONITOR, select: 'median' }, best).effects, [
      { kind: 'select', select: 'oracle' },
    ]);
    assert.deepEqual(press(['s'], { ...MONITOR, select: 'median', canSelectDefault: true }, best).effects, [
      { kind: 'select', select: 'default' },
    ]);
    assert.deepEqual(press(['s'], { ...MONITOR, canSelect: false }, best).effects, []);
  });

  it('failed: arrows scroll by one, PageDown/PageUp by a page, within the list', () => {
    const ctx = { ...MONITOR, failedCount: 20, body: 7 };
    const failed = press(['4'], ctx).state;
    assert.equal(press([{ input: '', upArrow: true }], ctx, failed).state.failedOffset, 0);
    assert.equal(
      press(
        [
          { input: '', downArrow: true },
          { input: '', downArrow: true },
        ],
        ctx,
        failed,
      ).state.failedOffset,
      2,
    );
    assert.equal(press([{ input: '', pageDown: true }], ctx, failed).state.failedOffset, 5);
    assert.equal(
      press(
        [
          { input: '', pageDown: true },
          { input: '', pageDown: true },
          { input: '', pageDown: true },
          { input: '', pageDown: true },
        ],
        ctx,
        failed,
      ).state.failedOffset,
      19,
    );
    assert.equal(
      press(
        [
          { input: '', pageDown: true },
          { input: '', pageUp: true },
        ],
        ctx,
        failed,
      ).state.failedOffset,
      0,
    );
  });

  it('grid: arrows move between rows and classes, n/p between nu pages, c between contaminations', () => {
    const { study, summary } = studyOf({
      name: 'nav',
      dataset: { name: 'synthetic' },
      grid: {
        model: ['IAE-LSTM-KL', 'IAEAD'],
        normalClass: [0, 1],
        boundary: ['soft'],
        lambdaKl: [0.001, 0.01],
        nu: [0.05, 0.1],
        contamination: [0, 0.1],
      },
    });
    const trials = trialsFor(study, (p) => ({ auroc: { svdd: 0.6 + 0.1 * p.normalClass } }));
    const report = buildReport({ study: summary, trials }, { select: 'oracle' });
    const ctx = { ...MONITOR, report };
    const grid = press(['3'], ctx).state;
    const shown = (s: ScreenState) => navigateGrids(report.grids, s.want);
    const start = shown(grid);
    assert.equal(start.pages.length, 2, 'one page per nu');
    const down = shown(press([{ input: '', downArrow: true }], ctx, grid).state);
    assert.notEqual(down.rowId, start.rowId);
    const right = shown(press([{ input: '', rightArrow: true }], ctx, grid).state);
    assert.equal(right.normalClass, 1);
    assert.equal(right.rowId, start.rowId);
    assert.equal(shown(press(['n'], ctx, grid).state).page, 1);
    assert.equal(shown(press(['n', 'n'], ctx, grid).state).page, 0, 'pages wrap');
    assert.equal(shown(press(['p'], ctx, grid).state).page, 1);
    const cont = shown(press(['c'], ctx, grid).state);
    assert.notEqual(cont.contamination, start.contamination);
    // Moving to another class starts at its first page.
    assert.equal(shown(press(['n', { input: '', rightArrow: true }], ctx, grid).state).page, 0);
  });

  it('keys that mean nothing here leave the state as it was', () => {
    const s = initialScreen('grid');
    assert.equal(reduceKey(s, { input: 'x' }, MONITOR).state, s);
    assert.equal(reduceKey(s, { input: '', downArrow: true }, MONITOR).state, s, 'no report: the grid does not move');
  });
});
