// End to end through the real CLI: real worker threads, real tfjs training on
// a tiny network, real SQLite; crash and Ctrl-C recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TrialState } from '../../src/trial/state.js';
import { runCli, tinyStudy, trialsOf, trialsSoFar, waitFor, writeStudy } from './helpers.js';

test(
  'a tiny study trains to COMPLETE trials with AUROC in (0, 1); a rerun runs nothing',
  { timeout: 300_000 },
  async () => {
    const { file, db } = writeStudy(tinyStudy('e2e', { normalClass: [0, 1], boundary: ['hard', 'soft'] }));
    const run = runCli(['start', file, '--db', db, '--no-cache']);
    const { code } = await run.done;
    assert.equal(code, 0, run.stderr() + run.stdout());
    assert.match(run.stdout(), /sweep finished: 4 completed, 0 failed/);
    assert.doesNotMatch(run.stdout(), /\x1b\[/, 'no escape codes into a pipe');
    const trials = await trialsOf(db, 'e2e');
    assert.equal(trials.length, 4);
    for (const t of trials) {
      assert.equal(t.state, TrialState.COMPLETE, JSON.stringify(t.userAttrs.error));
      assert.ok(t.value! > 0 && t.value! < 1, `AUROC ${t.value}`);
      assert.equal(t.intermediate.size, 1);
      assert.equal(t.intermediate.get(1), t.value);
      assert.equal(t.userAttrs.backend, 'wasm');
      assert.match(
        String(t.userAttrs.backend_kernels),
        /^native GEMM: OpenBLAS/,
        'the set-up built the native addon and the worker used it',
      );
    }
    // The OpenBLAS kernels that ran are named: "OpenBLAS 0.3.21 Zen".
    assert.match(run.stdout(), /worker 0: backend wasm \[native GEMM: OpenBLAS [\d.]+ \w+[^\]]*\]/);
    const again = runCli(['start', file, '--db', db]);
    assert.equal((await again.done).code, 0);
    assert.match(again.stdout(), /0 queued now, 4 already done/);
    assert.equal((await trialsOf(db, 'e2e')).length, 4);

    const status = runCli(['status', 'e2e', '--db', db]);
    assert.equal((await status.done).code, 0);
    assert.match(status.stdout(), /COMPLETE 4, RUNNING 0, WAITING 0, FAIL 0/);
    // The best per model, boundary and normal class, not one across classes.
    for (const label of ['IAE-LSTM-KL\\(h\\)', 'IAE-LSTM-KL\\(s\\)'])
      for (const c of [0, 1])
        assert.match(status.stdout(), new RegExp(`^  ${label}  class ${c} \\(\\S+\\): 0\\.\\d{4}  trial \\d+`, 'm'));
    assert.match(status.stdout(), /backends: wasm \(native GEMM: OpenBLAS [\d.]+ \w+/);
    // The paper-style table of this real sweep, with the values the database holds.
    const out = join(dirname(db), 'reports');
    const exp = runCli(['export', 'e2e', '--db', db, '--out', out, '--no-figures']);
    assert.equal((await exp.done).code, 0, exp.stderr());
    const md = readFileSync(join(out, 'e2e.md'), 'utf8');
    assert.match(md, /native GEMM: OpenBLAS [\d.]+ \w+/, 'the provenance names the OpenBLAS kernels');
    for (const t of trials) {
      const row = new RegExp(`\\| IAE-LSTM-KL\\(${t.params.boundary === 'hard' ? 'h' : 's'}\\) \\|[^\\n]*`).exec(
        md,
      )![0];
      assert.ok(row.includes(t.value!.toFixed(3)), `${row} shows ${t.value!.toFixed(3)}`);
    }
  },
);

test('an invalid study exits 2 naming the file and field, and creates no database', async () => {
  const study = tinyStudy('bad', { normalClass: [0], lambdaKl: ['high'] });
  const { file, db } = writeStudy(study);
  const run = runCli(['start', file, '--db', db]);
  const { code } = await run.done;
  assert.equal(code, 2);
  assert.match(run.stderr(), /bad\.json: invalid study file\n\s+- grid\.lambdaKl\[0\]: expected number, found "high"/);
  assert.equal(existsSync(db), false);
});

test('SIGKILL mid-trial, start again: every grid point ends COMPLETE exactly once', { timeout: 600_000 }, async () => {
  const study = tinyStudy(
    'crash',
    { normalClass: [0, 1, 2], lambdaKl: [0.01, 1] },
    { pretrainEpochs: 2, jointEpochs: 3 },
  );
  const { file, db } = writeStudy(study);
  const first = runCli(['start', file, '--db', db, '--no-cache']);
  await waitFor(
    async () =>
      (await trialsSoFar(db, 'crash')).some(
        (t) =>
          t.state === TrialState.RUNNING &&
          t.intermediate.size + ((t.userAttrs.loss_history as unknown[] | undefined)?.length ?? 0) > 0,
      ),
    240_000,
    'a trial in progress',
  );
  first.child.kill('SIGKILL');
  await first.done;
  const killed = (await trialsOf(db, 'crash')).filter((t) => t.state === TrialState.RUNNING);
  assert.ok(killed.length >= 1, 'a trial was running when the process died');

  const second = runCli(['start', file, '--db', db, '--no-cache']);
  const { code } = await second.done;
  assert.equal(code, 0, second.stderr());
  assert.match(second.stdout(), /queued again \d+ trial\(s\) left RUNNING by a process that died/);
  const trials = await trialsOf(db, 'crash');
  const complete = trials.filter((t) => t.state === TrialState.COMPLETE);
  assert.equal(complete.length, 6);
  assert.equal(new Set(complete.map((t) => t.gridPoint)).size, 6, 'each point COMPLETE exactly once');
  assert.equal(trials.filter((t) => t.state === TrialState.RUNNING || t.state === TrialState.WAITING).length, 0);
  for (const k of killed) assert.equal(trials.find((t) => t.id === k.id)!.state, TrialState.FAIL);
});

test(
  'Ctrl-C: stops, puts running trials back to WAITING, exits 0 with a one-line summary',
  { timeout: 600_000 },
  async () => {
    const study = tinyStudy('sigint', { normalClass: [0, 1, 2, 3] }, { pretrainEpochs: 2, jointEpochs: 3 });
    const { file, db } = writeStudy(study);
    const run = runCli(['start', file, '--db', db, '--no-cache']);
    await waitFor(
      async () => (await trialsSoFar(db, 'sigint')).some((t) => t.state === TrialState.RUNNING),
      240_000,
      'a running trial',
    );
    run.child.kill('SIGINT');
    const { code } = await run.done;
    assert.equal(code, 0, run.stderr());
    const lines = run.stdout().trim().split('\n');
    assert.match(lines[lines.length - 1]!, /^sweep stopped: \d+ completed, 0 failed, \d+ interrupted and queued again/);
    const trials = await trialsOf(db, 'sigint');
    assert.equal(trials.filter((t) => t.state === TrialState.RUNNING).length, 0);
    assert.equal(trials.filter((t) => t.state === TrialState.FAIL).length, 0);
    assert.equal(trials.length, 4, 'no trial was duplicated');
  },
);
