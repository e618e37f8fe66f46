// The scheduler with real worker threads and a real SQLite file; the trial
// function is a small fixture (training itself is tested elsewhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Study } from '../../src/study/schema.js';
import { expandGrid, searchSpace } from '../../src/grid/expand.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { createPiscinaRunner } from '../../src/pool/runner.js';
import { runSweep, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import { TrialState } from '../../src/trial/state.js';

const workerFile = new URL('../pool/fixtures/env-worker.ts', import.meta.url);

function setup(grid: Record<string, unknown>, threads = 2) {
  const study = Study.parse({ name: 's', dataset: { name: 'synthetic' }, grid: { model: ['IAE-LSTM-KL'], ...grid } });
  const storage = openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'sched-')), 's.sqlite3'));
  const { id } = storage.openStudy('s', {});
  const points = expandGrid(study.grid);
  const distributions = searchSpace(study.grid);
  storage.enqueuePoints(id, points, distributions);
  const runner = createPiscinaRunner({ workerFile, threads });
  const base: SchedulerOptions = {
    storage,
    studyId: id,
    runner,
    objective: 'svdd',
    distributions,
    signal: new AbortController().signal,
    makeTask: (t) => ({
      trialId: t.id, trialNumber: t.number, study: 's', params: t.params, dataset: study.dataset,
      training: study.training, arch: study.arch, objective: 'svdd', backend: 'cpu', cacheDir: null,
    }),
  };
  return { storage, id, points, runner, base, distributions };
}

test('runs every point; records per-epoch values; a failing trial does not stop the sweep', async () => {
  const { storage, id, points, runner, base } = setup({ normalClass: [0, 1, 9], lambdaKl: [0.1, 1] });
  try {
    const summary = await runSweep(base);
    assert.equal(summary.completed, 4);
    assert.equal(summary.failed, 2);
    const trials = storage.getTrials(id);
    assert.equal(trials.length, points.length);
    for (const t of trials) {
      if (t.params.normalClass === 9) {
        assert.equal(t.state, TrialState.FAIL);
        assert.match(String(t.userAttrs.error), /class 9 fails on purpose/);
      } else {
        assert.equal(t.state, TrialState.COMPLETE);
        assert.equal(t.value, 0.7);
        assert.deepEqual([...t.intermediate.entries()], [[1, 0.6], [2, 0.7]]);
        assert.deepEqual(t.userAttrs.auroc_history, { svdd: [0.6, 0.7] });
        assert.equal((t.userAttrs.loss_history as unknown[]).length, 2);
        assert.deepEqual(t.userAttrs.auroc, { svdd: 0.7 });
      }
    }
  } finally {
    await runner.close();
    storage.close();
  }
});

test('abort: running trials go back to WAITING, finished ones stay', async () => {
  const { storage, id, runner, base } = setup({ normalClass: [0, 1, 2, 3], seed: [400] });
  const ac = new AbortController();
  try {
    setTimeout(() => ac.abort(), 600);
    const summary = await runSweep({ ...base, signal: ac.signal });
    assert.ok(summary.interrupted);
    assert.ok(summary.requeued >= 1, `requeued ${summary.requeued}`);
    const c = storage.countTrials(id);
    assert.equal(c[TrialState.RUNNING], 0);
    assert.equal(c[TrialState.WAITING], 4 - summary.completed);
    assert.equal(c[TrialState.COMPLETE], summary.completed);
    // A second run finishes the rest.
    const again = await runSweep(base);
    assert.equal(again.completed, 4 - summary.completed);
    assert.equal(storage.countTrials(id)[TrialState.COMPLETE], 4);
  } finally {
    await runner.close();
    storage.close();
  }
});

test('trials sharing pretraining wait for the first to build it; others run meanwhile', async () => {
  // Class 0 has three points sharing one pretraining (400 ms); class 1 one point.
  const { storage, runner, base } = setup({ normalClass: [0, 1], lambdaKl: [0.1, 1, 10], seed: [400] });
  const started: { cls: number; at: number }[] = [];
  const jointAt = new Map<number, number>();
  try {
    await runSweep({
      ...base,
      shareKey: (t) => `${t.params.normalClass}/${t.params.seed}`,
      events: {
        trialStarted: (t) => started.push({ cls: t.trial.params.normalClass, at: Date.now() }),
        progress: (t, p) => {
          if (p.type === 'phase' && p.phase === 'joint' && !jointAt.has(t.trial.params.normalClass))
            jointAt.set(t.trial.params.normalClass, Date.now());
        },
      },
    });
    // The second trial started is class 1's (class 0's others are held back).
    assert.deepEqual(started.slice(0, 2).map((s) => s.cls), [0, 1]);
    const class0 = started.filter((s) => s.cls === 0);
    assert.equal(class0.length, 3);
    for (const s of class0.slice(1)) assert.ok(s.at >= jointAt.get(0)! - 5, 'held until pretraining was done');
  } finally {
    await runner.close();
    storage.close();
  }
});

test('a trial left RUNNING by a dead process on this host is failed and its point run again', async () => {
  const { storage, id, runner, base } = setup({ normalClass: [0, 1] });
  try {
    const orphan = storage.claimTrial(id, `${hostname()}:2147483646`)!;
    const summary = await runSweep(base);
    assert.equal(summary.recovered, 1);
    assert.equal(storage.getTrial(orphan.id).state, TrialState.FAIL);
    assert.match(String(storage.getTrial(orphan.id).userAttrs.error), /died/);
    const complete = storage.getTrials(id, [TrialState.COMPLETE]);
    assert.equal(complete.length, 2);
    assert.ok(complete.some((t) => t.gridPoint === orphan.gridPoint));
  } finally {
    await runner.close();
    storage.close();
  }
});

test('epochs without a score (training.evalEvery): the history lists the scored epochs in auroc_epochs', async () => {
  const { storage, id, runner, base } = setup({ normalClass: [0] }, 1);
  try {
    const makeTask = base.makeTask;
    await runSweep({ ...base, makeTask: (t) => ({ ...makeTask(t), training: { ...makeTask(t).training, evalEvery: 2 } }) });
    const [t] = storage.getTrials(id);
    assert.equal(t!.state, TrialState.COMPLETE);
    assert.deepEqual([...t!.intermediate.entries()], [[2, 0.7]]);
    assert.deepEqual(t!.userAttrs.auroc_history, { svdd: [0.7] });
    assert.deepEqual(t!.userAttrs.auroc_epochs, [2]);
    assert.equal((t!.userAttrs.loss_history as unknown[]).length, 2);
  } finally {
    await runner.close();
    storage.close();
  }
});

test('a pruner that throws (e.g. the database is locked) is noted and the trial runs on to COMPLETE', async () => {
  const { storage, id, runner, base } = setup({ normalClass: [0] }, 1);
  const notes: string[] = [];
  try {
    const summary = await runSweep({
      ...base,
      events: { note: (m) => notes.push(m) },
      pruner: {
        check() {
          throw new Error('database is locked');
        },
      },
    });
    assert.equal(summary.completed, 1);
    assert.equal(summary.pruned, 0);
    assert.equal(storage.getTrials(id)[0]!.state, TrialState.COMPLETE);
    assert.ok(notes.some((n) => /pruner: trial 0 epoch 1: database is locked/.test(n)), notes.join('\n'));
  } finally {
    await runner.close();
    storage.close();
  }
});
