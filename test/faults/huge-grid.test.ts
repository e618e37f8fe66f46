// A grid of 10^9 points (three axes of 1000 values) is counted, not expanded,
// and refused with its count: exit 2, nothing written. Before the fix the
// process expanded it for 10+ minutes in several GB; a regression shows as the
// test's timeout (no wall-clock assert).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENQUEUE_CHUNK, enqueueInChunks } from '../../src/cli/commands/start/index.js';
import { expandGrid, interleaveByShareKey, searchSpace } from '../../src/grid/expand.js';
import { openSqliteStorage, type Storage } from '../../src/storage/index.js';
import { Grid } from '../../src/study/schema.js';
import { TrialState } from '../../src/trial/state.js';
import { runCli } from '../e2e/helpers.js';
import { studyDir, written } from './helpers.js';

const TIMEOUT = { timeout: 120_000 };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test(
  'three axes of 1000 values: refused with the count of 10^9 points and the fix; nothing written',
  TIMEOUT,
  async () => {
    const { cwd, file } = studyDir({
      name: 'huge',
      dataset: { name: 'synthetic' },
      grid: {
        model: ['IAE-LSTM-KL'],
        normalClass: [0],
        seed: range(1000),
        lambdaKl: range(1000).map((i) => i / 1000),
        lambdaRec: range(1000),
      },
    });
    const run = runCli(['start', file], cwd);
    const { code } = await run.done;
    assert.equal(code, 2, run.stderr());
    assert.equal(
      run.stderr(),
      `sweep: ${file}: invalid study file\n  - grid: 1000000000 grid points, more than the limit of 100000; remove values from the longest axes ` +
        '(lambdaKl: 1000 values, lambdaRec: 1000 values, seed: 1000 values), or raise the limit with --max-points 1000000000\n',
    );
    assert.deepEqual(written(cwd), [], 'no db/, no .cache/');
  },
);

test('--max-points sets the limit', TIMEOUT, async () => {
  const { cwd, file } = studyDir({
    name: 'two',
    dataset: { name: 'synthetic' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1] },
  });
  const run = runCli(['start', file, '--max-points', '1'], cwd);
  assert.equal((await run.done).code, 2, run.stderr());
  assert.match(run.stderr(), /grid: 2 grid points, more than the limit of 1; .* --max-points 2\n$/);
  assert.deepEqual(written(cwd), []);
  const bad = runCli(['start', file, '--max-points', '0'], cwd);
  assert.equal((await bad.done).code, 2);
  assert.match(bad.stderr(), /--max-points: expected a positive whole number, got "0"/);
});

// Queueing a large grid: chunks of ENQUEUE_CHUNK points, one transaction each,
// with a turn of the event loop between them, so that a signal is seen within
// a chunk. In process, on a real SQLite file; timer ticks and chunks are
// counted, nothing is timed (each chunk costs O(chunk): bench/grid-size.ts).
const QUEUE_GRID = Grid.parse({
  model: ['IAE-LSTM-KL'],
  normalClass: range(10),
  seed: range(10),
  lambdaKl: range(10).map((i) => 10 ** (i - 5)),
  lambdaRec: range(20).map((i) => i + 1),
});

/** A real SQLite study, and its enqueuePoints with each call's timer-tick count recorded. */
async function queueSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'fault-queue-'));
  const storage = openSqliteStorage(join(dir, 'q.sqlite3'));
  const study = await storage.openStudy('q', {});
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const ticksAtChunk: number[] = [];
  // Counts the timer ticks seen when each chunk arrives; everything else goes to the storage as is.
  const counted = new Proxy(storage, {
    get(target, prop) {
      if (prop === 'enqueuePoints') {
        return (...a: Parameters<Storage['enqueuePoints']>) => (ticksAtChunk.push(ticks), target.enqueuePoints(...a));
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
  const done = async () => {
    clearInterval(ticker);
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { storage, counted, study, ticksAtChunk, ticks: () => ticks, done };
}

test('queueing 20 000 points: a timer tick between every two chunks', TIMEOUT, async () => {
  const points = interleaveByShareKey(expandGrid(QUEUE_GRID));
  assert.equal(points.length, 20_000);
  const q = await queueSetup();
  try {
    // Start in the check phase, as every later chunk does: then each chunk's
    // setImmediate comes after a timers phase, and the ticker's interval is due.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const r = await enqueueInChunks(
      q.counted,
      q.study.id,
      points,
      searchSpace(QUEUE_GRID),
      { maxRetries: 2 },
      new AbortController().signal,
    );
    assert.deepEqual(r, { added: 20_000, present: 0, exhausted: 0 });
    assert.equal(q.ticksAtChunk.length, 20_000 / ENQUEUE_CHUNK);
    for (let i = 1; i < q.ticksAtChunk.length; i++) {
      assert.ok(
        q.ticksAtChunk[i]! > q.ticksAtChunk[i - 1]!,
        `no timer tick between chunks ${i - 1} and ${i}: ${q.ticksAtChunk.join(',')}`,
      );
    }
  } finally {
    await q.done();
  }
});

test(
  'a signal while 20 000 points are queued stops it before the next chunk; whole chunks stay, the next start queues the rest',
  TIMEOUT,
  async () => {
    const points = interleaveByShareKey(expandGrid(QUEUE_GRID));
    const q = await queueSetup();
    try {
      const ac = new AbortController();
      const reason = new Error('SIGTERM');
      // Fired from a timer (as a signal handler runs) once 5 chunks went in.
      const watcher = setInterval(() => {
        if (q.ticksAtChunk.length >= 5) ac.abort(reason);
      }, 1);
      await assert.rejects(
        enqueueInChunks(q.counted, q.study.id, points, searchSpace(QUEUE_GRID), {}, ac.signal).finally(() =>
          clearInterval(watcher),
        ),
        (err) => err === reason,
      );
      const chunks = q.ticksAtChunk.length;
      assert.ok(chunks >= 5 && chunks <= 6, `stopped within a chunk of the signal, after ${chunks} chunks`);
      const queued = (await q.storage.countTrials(q.study.id))[TrialState.WAITING];
      assert.equal(queued, chunks * ENQUEUE_CHUNK, 'whole chunks only');
      const rest = await enqueueInChunks(
        q.storage,
        q.study.id,
        points,
        searchSpace(QUEUE_GRID),
        {},
        new AbortController().signal,
      );
      assert.deepEqual(rest, { added: 20_000 - queued, present: queued, exhausted: 0 });
    } finally {
      await q.done();
    }
  },
);
