// How big a grid the start command can take in one go: the time to count a
// grid (lazy), to expand it (sync, and the longest event-loop turn of the
// chunked expandGridAsync), and to queue its points in SQLite in chunks (the
// start command's enqueueInChunks, and its longest turn), side by side.
// The figures pick the default of --max-points (README "Limits").
//   node --import tsx bench/grid-size.ts [points=100000]
//   node --import tsx bench/grid-size.ts 100000 long   (two axes of 1000 values: the worst case for SQLite)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Grid } from '../src/study/schema.js';
import { countGridPoints, expandGrid, expandGridAsync, interleaveByShareKey, searchSpace } from '../src/grid/expand.js';
import { openSqliteStorage } from '../src/storage/index.js';
import { enqueueInChunks } from '../src/cli/commands/start/index.js';

const sizes = (process.argv[2] ?? '100000').split(',').map(Number);
const long = process.argv[3] === 'long';
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
// A grid of n points. Usual: axes of 10 values (10 classes, seeds, lambdaKl,
// lambdaRec) and n/10^4 contamination levels. Long: n/1000 seeds x 1000
// lambdaKl values; Optuna's schema stores each param's distribution (every
// choice) with every trial, so long axes make each queued point heavier.
const gridOf = (n: number) =>
  long
    ? Grid.parse({
        model: ['IAE-LSTM-KL'],
        normalClass: [0],
        seed: range(n / 1000),
        lambdaKl: range(1000).map((i) => i / 1000),
      })
    : Grid.parse({
        model: ['IAE-LSTM-KL'],
        normalClass: range(10),
        seed: range(10),
        lambdaKl: range(10).map((i) => 10 ** (i - 5)),
        lambdaRec: range(10).map((i) => i + 1),
        contamination: range(n / 10_000).map((i) => (0.25 * i) / (n / 10_000)),
      });
const ms = (t0: number) => performance.now() - t0;

const huge = Grid.parse({
  model: ['IAE-LSTM-KL'],
  normalClass: [0],
  seed: range(1000),
  lambdaKl: range(1000).map((i) => i / 1000),
  lambdaRec: range(1000),
});
let t0 = performance.now();
console.log(`count of a 10^9-point grid: ${countGridPoints(huge)} in ${ms(t0).toFixed(2)} ms`);

for (const n of sizes) {
  const grid = gridOf(n);
  t0 = performance.now();
  const points = expandGrid(grid);
  const syncMs = ms(t0);
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  t0 = performance.now();
  await expandGridAsync(grid);
  const asyncMs = ms(t0);
  h.disable();
  t0 = performance.now();
  const ordered = interleaveByShareKey(points);
  const interleaveMs = ms(t0);
  const dir = mkdtempSync(join(tmpdir(), 'bench-grid-'));
  const storage = openSqliteStorage(join(dir, 'b.sqlite3'));
  const study = await storage.openStudy('b', {});
  const q = monitorEventLoopDelay({ resolution: 10 });
  q.enable();
  t0 = performance.now();
  await enqueueInChunks(storage, study.id, ordered, searchSpace(grid), { maxRetries: 2 }, new AbortController().signal);
  const enqueueMs = ms(t0);
  q.disable();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${n} points: expandGrid ${syncMs.toFixed(0)} ms (one turn); expandGridAsync ${asyncMs.toFixed(0)} ms, longest turn ${(h.max / 1e6).toFixed(0)} ms; ` +
      `interleave ${interleaveMs.toFixed(0)} ms (one turn); enqueueInChunks ${enqueueMs.toFixed(0)} ms, longest turn ${(q.max / 1e6).toFixed(0)} ms; ` +
      `heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
  );
}
