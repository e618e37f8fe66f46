// Pruning end to end through the real CLI: real worker threads, real tfjs
// training, real SQLite. The pruner is made certain to stop the new points
// (successive halving with a bootstrapCount no rung can reach prunes at the
// first rung), so the test does not depend on which lambda trains better.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { TrialState } from '../../src/trial/state.js';
import { runCli, tinyStudy, writeStudy } from './helpers.js';

async function trialsOf(db: string, name: string) {
  const s = openSqliteStorage(db, { readonly: true });
  try {
    return await s.getTrials((await s.getStudy(name))!.id);
  } finally {
    await s.close();
  }
}

test(
  'a pruned trial ends PRUNED with its curve, counts as done, and runs again only with --rerun-pruned',
  { timeout: 600_000 },
  async () => {
    // 1. One point per class, no pruner: the COMPLETE peer.
    const study = tinyStudy('prune', { normalClass: [0], boundary: ['hard'], lambdaKl: [0.001] }, { jointEpochs: 3 });
    const { file, db } = writeStudy(study);
    const first = runCli(['start', file, '--db', db, '--no-cache']);
    assert.equal((await first.done).code, 0, first.stderr() + first.stdout());

    // 2. The grid grows by two points and the study gets a pruner: both new points stop at epoch 1.
    writeFileSync(
      file,
      JSON.stringify({
        ...study,
        grid: { ...(study.grid as object), lambdaKl: [0.001, 0.01, 0.1] },
        pruner: { kind: 'successive-halving', minResource: 1, reductionFactor: 2, bootstrapCount: 100 },
      }),
    );
    // One worker thread, so both pruned trials run on it in turn.
    const second = runCli(['start', file, '--db', db, '--no-cache', '--workers', '1']);
    assert.equal((await second.done).code, 0, second.stderr() + second.stdout());
    assert.match(second.stdout(), /pruner successive-halving/);
    assert.match(second.stdout(), /sweep finished: 0 completed, 0 failed, 2 pruned/);
    assert.match(second.stdout(), /PRUNED after joint epoch 1 .*bootstrapCount is 100/);

    const trials = await trialsOf(db, 'prune');
    assert.equal(trials.length, 3);
    const pruned = trials.filter((t) => t.state === TrialState.PRUNED);
    assert.equal(pruned.length, 2);
    for (const t of pruned) {
      assert.notEqual(t.params.lambdaKl, 0.001);
      assert.deepEqual(t.userAttrs.pruned_at, {
        epoch: 1,
        reason: (t.userAttrs.pruned_at as { reason: string }).reason,
      });
      // The curve stays: the epoch-1 AUROC as intermediate value, in the histories, and as the value (Optuna's pruned value).
      const v = t.intermediate.get(1)!;
      assert.ok(v > 0 && v < 1, `AUROC ${v}`);
      assert.equal(t.value, v);
      assert.equal((t.userAttrs.auroc_history as Record<string, number[]>).svdd![0], v);
      assert.ok((t.userAttrs.loss_history as { phase: string }[]).some((e) => e.phase === 'joint'));
      assert.equal(t.userAttrs.auroc, undefined, 'no final AUROC: the trial did not finish');
      // It stopped at its verdict: no joint epoch was trained past epoch 1.
      const joint = (t.userAttrs.loss_history as { phase: string; epoch: number }[]).filter((e) => e.phase === 'joint');
      assert.deepEqual(
        joint.map((e) => e.epoch),
        [1],
      );
      // It ended by itself, so its worker's facts are kept (on the old path its thread was ended: none).
      assert.equal(typeof t.userAttrs.joint_seconds, 'number');
    }
    // The pruned trial's thread was not ended: the next trial ran on the same one.
    const threads = pruned.map((t) => t.userAttrs.worker_thread);
    assert.equal(typeof threads[0], 'number');
    assert.equal(threads[0], threads[1], `worker threads ${JSON.stringify(threads)}`);

    // 3. Starting again runs nothing: a pruned point is done.
    const third = runCli(['start', file, '--db', db, '--no-cache']);
    assert.equal((await third.done).code, 0, third.stderr());
    assert.match(third.stdout(), /0 queued now, 3 already done/);

    const status = runCli(['status', 'prune', '--db', db]);
    assert.equal((await status.done).code, 0);
    assert.match(status.stdout(), /COMPLETE 1, RUNNING 0, WAITING 0, FAIL 0, PRUNED 2/);
    assert.match(
      status.stdout(),
      /pruned: trial \d+ IAE-LSTM-KL\(h\) class 0 lambdaKl=0\.0?1 .*after joint epoch 1: successive halving/,
    );

    const out = join(dirname(db), 'reports');
    const exp = runCli(['export', 'prune', '--db', db, '--out', out, '--no-figures']);
    assert.equal((await exp.done).code, 0, exp.stderr());
    const md = readFileSync(join(out, 'prune.md'), 'utf8');
    assert.match(md, /1 of 3 grid points finished, 2 pruned/);
    assert.match(md, /grid points missing 0, failed trials 0, grid points pruned 2/);
    assert.match(
      md,
      /2 grid point\(s\) of this table were pruned.*the oracle choice among the rest still used their final test AUROC/,
    );
    assert.doesNotMatch(md, /†/, 'pruned points are not missing: the cell is complete');

    // 4. --rerun-pruned queues them again and runs them to the end without the pruner.
    const rerun = runCli(['start', file, '--db', db, '--no-cache', '--rerun-pruned']);
    assert.equal((await rerun.done).code, 0, rerun.stderr());
    assert.match(rerun.stdout(), /2 queued now, 1 already done.*pruner off \(--rerun-pruned\)/);
    assert.match(rerun.stdout(), /sweep finished: 2 completed, 0 failed/);
    const after = await trialsOf(db, 'prune');
    assert.equal(after.filter((t) => t.state === TrialState.COMPLETE).length, 3);
    assert.equal(after.filter((t) => t.state === TrialState.PRUNED).length, 2, 'the pruned trials stay as they were');
  },
);
