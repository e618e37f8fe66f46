// A 3000-trial study with 8 workers: the report behind the tables reads each
// trial a fixed number of times (linear in the trials) and is rebuilt no more
// often than ten times its own cost, every view stays inside the terminal, and
// a flood of progress messages yields at most 10 renders a second. Nothing here
// is timed: costs are counted, time is simulated (node:test mock timers). How
// long the report and the renders take on a machine is bench/tui-scale.tsx's
// job, with the budgets these assertions once held (issue 12).
import './fixtures/live-terminal.js';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FrozenTrial } from '../../src/storage/storage.js';
import { FinishedTrials, ReportKeeper } from '../../src/tui/finished.js';
import type { ReportModel } from '../../src/report/index.js';
import { bestLines, gridLines, runningLines } from '../../src/tui/views.js';
import { plainText } from '../../src/tui/table.js';
import { UNICODE_GLYPHS } from '../../src/tui/caps.js';
import { BIG_POINTS, BIG_SUMMARY, bigStore, bigTrials, floodStep, mountBig } from './fixtures/scale.js';

/** The report of `trials` through a ReportKeeper, and how many reads of a trial's fields it took. */
function countedReport(trials: readonly FrozenTrial[]): { report: ReportModel | null; reads: number } {
  let reads = 0;
  const counted = trials.map(
    (t) =>
      new Proxy(t, {
        get(target, key, receiver) {
          reads++;
          return Reflect.get(target, key, receiver) as unknown;
        },
      }),
  );
  let report: ReportModel | null = null;
  const keeper = new ReportKeeper(
    BIG_SUMMARY,
    () => counted,
    (r) => (report = r),
  );
  keeper.computeNow();
  keeper.dispose();
  return { report, reads };
}

/** Turns of the real event loop: React commits on setImmediate, which the mock timers leave alone. */
async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function simulatedTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.UTC(2025, 0, 1, 13) });
}

test('3000 finished trials, 8 workers: the report reads each trial a fixed number of times; every view fits', () => {
  assert.ok(BIG_POINTS.length >= 3000, `${BIG_POINTS.length} points`);
  const trials = bigTrials(3000);
  const half = countedReport(trials.slice(0, 1500));
  const full = countedReport(trials);
  assert.ok(full.report, 'the report builds');
  // Linear: twice the trials, twice the reads (a per-cell scan of all trials would give four times).
  assert.ok(full.reads <= 2.1 * half.reads, `${half.reads} reads for 1500 trials, ${full.reads} for 3000`);
  assert.ok(full.reads >= 3000, 'every trial is read');

  const finished = new FinishedTrials();
  finished.replaceAll(trials);
  const store = bigStore(full.report, finished, () => Date.now());
  try {
    // Every view of the big study fits 160 x 40 (and a small 80 x 24).
    const snap = store.getSnapshot();
    for (const [w, h] of [
      [160, 40],
      [80, 24],
    ] as const) {
      const body = h - 1 - 5;
      const views = {
        running: runningLines(snap, w, body, UNICODE_GLYPHS),
        best: bestLines(snap.report, null, 0, w, body, UNICODE_GLYPHS),
        grid: gridLines(snap.report, {}, w, body, UNICODE_GLYPHS, true),
      };
      for (const [name, lines] of Object.entries(views)) {
        assert.ok(lines.length <= body, `${name} at ${w}x${h}: ${lines.length} lines`);
        for (const l of lines) assert.ok(plainText(l).length <= w, `${name} at ${w}x${h}: ${plainText(l)}`);
      }
    }
  } finally {
    store.close();
  }
});

test('the report is rebuilt no more often than every ten times its own cost (at least every second)', (t) => {
  simulatedTime(t);
  const trials = bigTrials(30);
  let cost = 400; // simulated ms one build takes: the source advances the clock
  let builds = 0;
  const keeper = new ReportKeeper(
    BIG_SUMMARY,
    () => {
      if (cost > 0) t.mock.timers.tick(cost);
      return trials;
    },
    (r) => {
      assert.ok(r, 'the report builds');
      builds++;
    },
  );
  try {
    keeper.computeNow();
    assert.equal(builds, 1);
    cost = 0;
    // The build took 400 ms: the next one waits 4 s.
    keeper.invalidate();
    keeper.invalidate(); // a second change before the rebuild adds nothing
    t.mock.timers.tick(3999);
    assert.equal(builds, 1, 'not before ten times the cost');
    t.mock.timers.tick(1);
    assert.equal(builds, 2);
    // That one cost nothing: the floor of one second applies.
    keeper.invalidate();
    t.mock.timers.tick(999);
    assert.equal(builds, 2, 'not before a second');
    t.mock.timers.tick(1);
    assert.equal(builds, 3);
  } finally {
    keeper.dispose();
  }
});

test('a flood of progress messages (8 workers, each every 5 ms for a second): at most 10 renders a second', async (t) => {
  simulatedTime(t);
  const trials = bigTrials(3000);
  const finished = new FinishedTrials();
  finished.replaceAll(trials);
  const store = bigStore(countedReport(trials).report, finished, () => Date.now());
  let published = 0;
  const unsubscribe = store.subscribe(() => published++);
  const { instance, stdin, renders } = mountBig(store);
  const advance = async (ms: number) => {
    t.mock.timers.tick(ms);
    await turns();
  };
  try {
    stdin.type('1');
    await advance(150);
    const [renders0, published0] = [renders(), published];
    let epoch = 0;
    for (; epoch < 200; epoch++) {
      floodStep(store, epoch);
      await advance(5);
    }
    await advance(150); // the last throttled frame
    const [r, p] = [renders() - renders0, published - published0];
    t.diagnostic(`${r} renders and ${p} store publications for ${epoch * 8} progress messages in 1 simulated second`);
    // The store publishes at most every 100 ms; Ink draws at most 10 frames a second.
    assert.ok(p <= 1150 / 100 + 1, `${p} publications`);
    assert.ok(r <= 1150 / 100 + 1, `${r} renders`);
    assert.ok(r >= 3, 'the screen kept moving');
  } finally {
    unsubscribe();
    instance.unmount();
    store.close();
  }
});
