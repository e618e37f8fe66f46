// A 3000-trial study with 8 workers: the report behind the tables rebuilds in
// reasonable time (and is spaced by its cost), every view stays inside the
// terminal, and a flood of progress messages yields about 10 renders a second.
// The flood runs on node:test's mock clock (setTimeout and Date, which the
// store and Ink's frame throttle use): one virtual second, counted exactly.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink';
import { Study } from '../../src/study/schema.js';
import { expandGrid } from '../../src/grid/expand.js';
import type { JsonValue } from '../../src/storage/storage.js';
import { TrialState } from '../../src/trial/state.js';
import { FinishedTrials, ReportKeeper } from '../../src/tui/finished.js';
import type { ReportModel } from '../../src/report/index.js';
import { SweepStore } from '../../src/tui/store.js';
import { UiProvider } from '../../src/tui/theme.js';
import { App } from '../../src/tui/components/App.js';
import { bestLines, gridLines, runningLines } from '../../src/tui/views.js';
import { plainText } from '../../src/tui/table.js';
import { UNICODE_GLYPHS } from '../../src/tui/caps.js';
import { aurocOf, frozen, liveTrial, snapshot } from './fixtures/data.js';
import { FakeStdin, FakeStdout, asStdin, asStdout } from './fixtures/terminal.js';

/** A real turn of the event loop (taken before any mock): React renders on microtasks and immediates, not on the mocked timers. */
const realSetImmediate = globalThis.setImmediate;
const nextTurn = () => new Promise<void>((r) => realSetImmediate(r));

const BIG = Study.parse({
  name: 'big',
  dataset: { name: 'cifar10' },
  grid: {
    model: ['DeepSVDD', 'IAEAD', 'IAE-LSTM-KL'],
    normalClass: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    boundary: ['hard', 'soft'],
    lambdaKl: [0.0001, 0.001, 0.01, 0.1, 1],
    lambdaRec: [0.1, 0.5, 1, 5, 10],
    nu: [0.1, 0.5],
    seed: [0, 1, 2, 3],
  },
  training: { pretrainEpochs: 200, jointEpochs: 20 },
  workers: 8,
});

test('3000 finished trials, 8 workers: report, views and render rate stay within budget', async (t) => {
  const points = expandGrid(BIG.grid);
  assert.ok(points.length >= 3000, `${points.length} points`);
  // Trials as the scheduler stores them: per-epoch loss history (220 epochs) and AUROC history.
  const history: JsonValue[] = Array.from({ length: 220 }, (_, i) => ({
    phase: i < 200 ? 'pretrain' : 'joint',
    epoch: i < 200 ? i + 1 : i - 199,
    total: 0.1,
    svdd: 0.05,
    rec: 0.05,
    kl: 0.001,
  }));
  const trials = points.slice(0, 3000).map((p, i) => {
    const v = aurocOf(p);
    return frozen(i + 1, p, TrialState.COMPLETE, {
      value: v,
      userAttrs: {
        auroc: { svdd: v },
        auroc_history: { svdd: Array(20).fill(v) },
        loss_history: history,
        duration_s: 300,
      },
    });
  });
  const finished = new FinishedTrials();
  finished.replaceAll(trials);

  let report: ReportModel | null = null;
  const keeper = new ReportKeeper(
    { name: 'big', systemAttrs: { definition: BIG as unknown as JsonValue } },
    () => finished.trials(),
    (r) => (report = r),
  );
  const t0 = performance.now();
  keeper.computeNow();
  const reportMs = performance.now() - t0;
  keeper.dispose();
  assert.ok(report, 'the report builds');
  t.diagnostic(
    `report over 3000 trials: ${reportMs.toFixed(0)} ms (rebuilt at most every ${Math.max(1000, 10 * reportMs).toFixed(0)} ms)`,
  );
  assert.ok(reportMs < 10_000, `report took ${reportMs} ms`);

  const s0 = finished.summary(Date.now());
  // From here on time moves only when the test ticks it.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
  /** Moves the mock clock `ms` forward a millisecond at a time, letting React render after each. */
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      t.mock.timers.tick(1);
      await nextTurn();
    }
  };
  const store = new SweepStore(
    snapshot({
      study: 'big',
      dataset: 'cifar10',
      report,
      points: points.length,
      counts: { complete: 3000, running: 8, waiting: points.length - 3008, failed: 0, pruned: 0 },
      running: Array.from({ length: 8 }, (_, i) => liveTrial(i, { auroc: Array(20).fill(0.8) })),
      meanSeconds: s0.meanSeconds,
    }),
    100,
  );
  const stdout = new FakeStdout(160, 40);
  const stdin = new FakeStdin();
  let renders = 0;
  const instance = render(
    <UiProvider caps={{ color: true, unicode: true }}>
      <App store={store} onQuit={() => {}} />
    </UiProvider>,
    {
      stdout: asStdout(stdout),
      stdin: asStdin(stdin),
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 10,
      onRender: () => {
        renders++;
      },
    },
  );
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
    // Progress flood: 8 workers, one message each every 5 ms, for a second.
    stdin.type('1');
    await advance(150);
    renders = 0;
    const t1 = Date.now();
    let epoch = 0;
    while (Date.now() - t1 < 1000) {
      epoch++;
      for (let w = 0; w < 8; w++) {
        store.update((d) => {
          const running = [...d.running];
          running[w] = {
            ...running[w]!,
            epoch: epoch % 20,
            auroc: [...running[w]!.auroc.slice(-19), 0.8 + (epoch % 7) / 100],
          };
          d.running = running;
        });
      }
      await advance(5);
    }
    const elapsed = Date.now() - t1;
    await advance(150);
    t.diagnostic(`${renders} renders for ${epoch * 8} progress messages in ${elapsed} ms`);
    assert.ok(renders <= (elapsed / 1000) * 10 + 3, `${renders} renders in ${elapsed} ms`);
    assert.ok(renders >= 3, 'the screen kept moving');
  } finally {
    instance.unmount();
    store.close();
  }
});
