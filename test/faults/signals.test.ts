// Each stop signal in each phase, through the real CLI: SIGINT, SIGTERM and
// SIGHUP stop cleanly while the data loads, while the grid is queued, while
// trials train and while the export writes. `start` puts running trials back to WAITING and exits 0;
// other commands exit 128 + the signal's number; a second signal exits at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ENQUEUE_CHUNK } from '../../src/cli/commands/start/index.js';
import { TrialState } from '../../src/trial/state.js';
import { fillGoldenDb } from '../report/golden-db.js';
import { runCli, tinyStudy, trialsOf, waitFor, writeStudy, type Run } from '../e2e/helpers.js';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type Sig = keyof typeof SIGNALS;
const LONG = 240_000;

function lastLine(run: Run): string {
  const lines = run.stdout().trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

async function signalWhen(run: Run, re: RegExp, sig: Sig, what: string) {
  await waitFor(() => re.test(run.stdout()), LONG, what);
  run.child.kill(sig);
  return run.done;
}

for (const sig of Object.keys(SIGNALS) as Sig[]) {
  test(`${sig} while the data loads: stops before anything is written, exit 0`, { timeout: LONG }, async () => {
    const { file, db } = writeStudy(tinyStudy(`load-${sig}`, { normalClass: [0, 1] }));
    const run = runCli(['start', file, '--db', db, '--no-cache']);
    const { code, signal } = await signalWhen(run, /loading data set/, sig, 'the loading line');
    assert.equal(signal, null, `killed by ${signal}: the handler was not in place`);
    assert.equal(code, 0, run.stderr());
    assert.match(lastLine(run), /^sweep stopped: 0 completed, 0 failed/);
    assert.doesNotMatch(run.stdout(), /grid points/, 'stopped before the study was queued');
    assert.equal(existsSync(db), false, 'no database written');
  });

  test(`${sig} while trials train: running trials back to WAITING, none FAIL, exit 0`, { timeout: LONG }, async () => {
    const name = `train-${sig}`;
    const { file, db } = writeStudy(
      tinyStudy(name, { normalClass: [0, 1, 2, 3] }, { pretrainEpochs: 3, jointEpochs: 3 }),
    );
    const run = runCli(['start', file, '--db', db, '--no-cache']);
    const { code, signal } = await signalWhen(
      run,
      /trial \d+ \[w\d\] (pretraining|joint training)/,
      sig,
      'a trial training',
    );
    assert.equal(signal, null);
    assert.equal(code, 0, run.stderr());
    assert.match(run.stderr(), new RegExp(`${sig}: stopping`));
    const summary = /^sweep stopped: (\d+) completed, 0 failed, (\d+) interrupted and queued again/.exec(lastLine(run));
    assert.ok(summary, lastLine(run));
    const trials = await trialsOf(db, name);
    assert.equal(trials.length, 4, 'no trial duplicated');
    assert.equal(trials.filter((t) => t.state === TrialState.RUNNING || t.state === TrialState.FAIL).length, 0);
    assert.equal(trials.filter((t) => t.state === TrialState.COMPLETE).length, Number(summary[1]));
    assert.ok(
      Number(summary[2]) >= 1 && trials.filter((t) => t.state === TrialState.WAITING).length >= Number(summary[2]),
    );
  });
}

/** Trials in the file so far (a plain read-only count while the sweep writes; 0 before the schema exists). */
function queuedTrials(db: string): number {
  if (!existsSync(db)) return 0;
  const c = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'trials'").get() as { n: number }).n === 0
      ? 0
      : (c.prepare('SELECT count(*) AS n FROM trials').get() as { n: number }).n;
  } finally {
    c.close();
  }
}

for (const sig of Object.keys(SIGNALS) as Sig[]) {
  test(`${sig} while a 50 000-point grid is queued: whole chunks stay queued, exit 0`, { timeout: LONG }, async () => {
    const name = `queue-${sig}`;
    const points = 50_000;
    const { file, db } = writeStudy(
      tinyStudy(name, {
        normalClass: [0, 1],
        seed: Array.from({ length: 250 }, (_, i) => i),
        lambdaKl: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        lambdaRec: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      }),
    );
    const run = runCli(['start', file, '--db', db, '--no-cache']);
    // The first chunk is in: queueing has begun (it takes many chunks more).
    await waitFor(() => queuedTrials(db) >= ENQUEUE_CHUNK, LONG, 'the first queued chunk');
    run.child.kill(sig);
    const { code, signal } = await run.done;
    assert.equal(signal, null);
    assert.equal(code, 0, run.stderr());
    assert.match(lastLine(run), /^sweep stopped: 0 completed, 0 failed/);
    const queued = queuedTrials(db);
    assert.equal(queued % ENQUEUE_CHUNK, 0, `whole chunks only: ${queued}`);
    assert.ok(queued < points, `stopped part-way: ${queued} of ${points} points queued`);
  });
}

test(
  'export: each signal stops it part-way with exit 128 + n; uninterrupted it writes every file',
  { timeout: LONG },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-export-'));
    const db = join(dir, 'golden.sqlite3');
    await fillGoldenDb(db);
    const full = runCli(['export', 'golden-fmnist', '--db', db, '--out', join(dir, 'full')]);
    assert.equal((await full.done).code, 0, full.stderr());
    const all = readdirSync(join(dir, 'full'), { recursive: true }).length;
    for (const sig of Object.keys(SIGNALS) as Sig[]) {
      const out = join(dir, sig);
      const run = runCli(['export', 'golden-fmnist', '--db', db, '--out', out]);
      const { code, signal } = await signalWhen(run, /golden-fmnist\.md/, sig, 'the first file written');
      assert.equal(signal, null);
      assert.equal(code, 128 + SIGNALS[sig], run.stderr());
      assert.match(run.stderr(), new RegExp(`sweep: stopped by ${sig}`));
      const written = readdirSync(out, { recursive: true }).length;
      assert.ok(written < all, `${sig}: ${written} of ${all} entries written`);
    }
  },
);

test('a second signal while stopping exits at once with 128 + n', { timeout: LONG }, async () => {
  const { file, db } = writeStudy(
    tinyStudy('twice', { normalClass: [0, 1, 2, 3] }, { pretrainEpochs: 3, jointEpochs: 3 }),
  );
  const run = runCli(['start', file, '--db', db, '--no-cache']);
  await waitFor(() => /trial \d+ \[w\d\] (pretraining|joint training)/.test(run.stdout()), LONG, 'a trial training');
  // Both at once: the clean stop takes several turns of the event loop, so the
  // second arrives while it runs (which of the two is handled first is the kernel's choice).
  run.child.kill('SIGTERM');
  run.child.kill('SIGINT');
  const { code, signal } = await run.done;
  assert.equal(signal, null);
  assert.ok(code === 130 || code === 143, `exit ${code}`);
  assert.doesNotMatch(run.stdout(), /sweep stopped/, 'it did not wait for the clean stop');
});
