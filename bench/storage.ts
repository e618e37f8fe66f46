// Storage micro-benchmark: the per-trial database work of the scheduler
// (claim and finish; then with a heartbeat, one intermediate value and user
// attrs too) over a grid of 3000 points, first 500 trials against last 500,
// so a cost that grows with the study shows up as a falling rate. Run: node --import tsx bench/storage.ts [points]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gridPointId, type GridPoint, type TrialParams } from '../src/grid/expand.js';
import { openSqliteStorage } from '../src/storage/index.js';
import { TrialState } from '../src/trial/state.js';

const N = Number(process.argv[2] ?? 3000);
const WINDOW = Math.min(500, Math.floor(N / 2));

// A realistic shape: few values per axis (every trial_params row repeats its
// axis's whole choice list, as Optuna's categorical encoding does).
const LAMBDAS = [...Array(10).keys()].map((i) => 10 ** (i - 6));
const SEEDS = [...Array(Math.ceil(N / 1000)).keys()];
const points: GridPoint[] = [];
outer: for (const seed of SEEDS)
  for (const normalClass of [...Array(10).keys()])
    for (const lambdaKl of LAMBDAS)
      for (const lambdaRec of LAMBDAS) {
        if (points.length === N) break outer;
        const params: TrialParams = {
          model: 'IAE-LSTM-KL',
          normalClass,
          seed,
          contamination: 0,
          minmax: 'train',
          boundary: 'hard',
          lambdaKl,
          lambdaRec,
        };
        points.push({ id: gridPointId(params), params });
      }
const distributions = {
  model: ['IAE-LSTM-KL'],
  normalClass: [...Array(10).keys()],
  seed: SEEDS,
  contamination: [0],
  minmax: ['train'],
  boundary: ['hard', 'soft'],
  lambdaKl: LAMBDAS,
  lambdaRec: LAMBDAS,
};

const dir = mkdtempSync(join(tmpdir(), 'iae-bench-storage-'));
try {
  const storage = openSqliteStorage(join(dir, 'bench.sqlite3'));
  const rate = (ms: number[]) => (ms.length / ms.reduce((a, b) => a + b, 0)) * 1000;

  // Two studies in one file: claim+finish alone, then the writes a real trial adds.
  const passes = [
    { name: 'claim+finish', extra: false },
    { name: 'claim+heartbeat+intermediate+attrs+finish', extra: true },
  ];
  let lastStudy = 0;
  for (const pass of passes) {
    const study = await storage.openStudy(`bench-${pass.extra ? 'full' : 'lean'}`, { search_space: distributions });
    lastStudy = study.id;
    let t0 = performance.now();
    const res = await storage.enqueuePoints(study.id, points, distributions);
    console.log(`enqueue ${res.added} points: ${(performance.now() - t0).toFixed(0)} ms`);
    const times: number[] = [];
    t0 = performance.now();
    for (;;) {
      const start = performance.now();
      const trial = await storage.claimTrial(study.id, 'bench');
      if (!trial) break;
      if (pass.extra) {
        await storage.heartbeat(trial.id);
        await storage.setIntermediateValue(trial.id, 1, 0.5);
        await storage.setUserAttrs(trial.id, { auroc: { svdd: 0.5 }, backend: 'none' });
      }
      await storage.finishTrial(trial.id, TrialState.COMPLETE, 0.5);
      times.push(performance.now() - start);
    }
    const total = performance.now() - t0;
    console.log(
      `${pass.name}: ${times.length} trials in ${total.toFixed(0)} ms = ${((times.length / total) * 1000).toFixed(0)} trials/s`,
    );
    console.log(
      `  first ${WINDOW}: ${rate(times.slice(0, WINDOW)).toFixed(0)} trials/s, last ${WINDOW}: ${rate(times.slice(-WINDOW)).toFixed(0)} trials/s`,
    );
  }
  const study = { id: lastStudy };

  let t0 = performance.now();
  const all = await storage.getTrials(study.id);
  console.log(`getTrials (${all.length}): ${(performance.now() - t0).toFixed(0)} ms`);
  t0 = performance.now();
  for (let i = 0; i < 100; i++) await storage.countTrials(study.id);
  console.log(`countTrials: ${((performance.now() - t0) / 100).toFixed(3)} ms`);
  await storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
