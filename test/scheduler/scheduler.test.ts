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
import {
  runSweep,
  watchIntervalMs,
  type SchedulerClock,
  type SchedulerOptions,
} from '../../src/scheduler/scheduler.js';
import type { Storage } from '../../src/storage/storage.js';
import { TrialState } from '../../src/trial/state.js';
import { FAIL_KIND_ATTR, givenUpPoints } from '../../src/trial/retries.js';

const workerFile = new URL('../pool/fixtures/env-worker.ts', import.meta.url);
const stuckWorker = new URL('../pool/fixtures/stuck-worker.ts', import.meta.url);

async function setup(grid: Record<string, unknown>, threads = 2, worker: URL = workerFile, clock?: () => number) {
  const study = Study.parse({ name: 's', dataset: { name: 'synthetic' }, grid: { model: ['IAE-LSTM-KL'], ...grid } });
  const storage = openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'sched-')), 's.sqlite3'), { clock });
  const { id } = await storage.openStudy('s', {});
  const points = expandGrid(study.grid);
  const distributions = searchSpace(study.grid);
  await storage.enqueuePoints(id, points, distributions);
  const runner = createPiscinaRunner({ workerFile: worker, threads });
  const base: SchedulerOptions = {
    storage,
    studyId: id,
    runner,
    objective: 'svdd',
    distributions,
    signal: new AbortController().signal,
    makeTask: (t) => ({
      trialId: t.id,
      trialNumber: t.number,
      study: 's',
      params: t.params,
      dataset: study.dataset,
      training: study.training,
      arch: study.arch,
      objective: 'svdd',
      backend: 'cpu',
      cacheDir: null,
    }),
  };
  return { storage, id, points, runner, base, distributions };
}

test('runs every point; records per-epoch values; a failing trial does not stop the sweep', async () => {
  const { storage, id, points, runner, base } = await setup({ normalClass: [0, 1, 9], lambdaKl: [0.1, 1] });
  try {
    const summary = await runSweep(base);
    assert.equal(summary.completed, 4);
    assert.equal(summary.failed, 2);
    const trials = await storage.getTrials(id);
    assert.equal(trials.length, points.length);
    for (const t of trials) {
      if (t.params.normalClass === 9) {
        assert.equal(t.state, TrialState.FAIL);
        assert.match(String(t.userAttrs.error), /class 9 fails on purpose/);
      } else {
        assert.equal(t.state, TrialState.COMPLETE);
        assert.equal(t.value, 0.7);
        assert.deepEqual(
          [...t.intermediate.entries()],
          [
            [1, 0.6],
            [2, 0.7],
          ],
        );
        assert.deepEqual(t.userAttrs.auroc_history, { svdd: [0.6, 0.7] });
        assert.equal((t.userAttrs.loss_history as unknown[]).length, 2);
        assert.deepEqual(t.userAttrs.auroc, { svdd: 0.7 });
        // One objective key, snake_case (older databases also have `objectiveScore`: read by trial/attrs.ts).
        assert.equal(t.userAttrs.objective_score, 'svdd');
        assert.equal(t.userAttrs.objectiveScore, undefined);
        assert.ok(
          Object.keys(t.userAttrs).every((k) => /^[a-z0-9_]+$/.test(k)),
          Object.keys(t.userAttrs).join(', '),
        );
      }
    }
  } finally {
    await runner.close();
    await storage.close();
  }
});

test('abort: running trials go back to WAITING, finished ones stay', async () => {
  const { storage, id, runner, base } = await setup({ normalClass: [0, 1, 2, 3], seed: [400] });
  const ac = new AbortController();
  try {
    setTimeout(() => ac.abort(), 600);
    const summary = await runSweep({ ...base, signal: ac.signal });
    assert.ok(summary.interrupted);
    assert.ok(summary.requeued >= 1, `requeued ${summary.requeued}`);
    const c = await storage.countTrials(id);
    assert.equal(c[TrialState.RUNNING], 0);
    assert.equal(c[TrialState.WAITING], 4 - summary.completed);
    assert.equal(c[TrialState.COMPLETE], summary.completed);
    // A second run finishes the rest.
    const again = await runSweep(base);
    assert.equal(again.completed, 4 - summary.completed);
    assert.equal((await storage.countTrials(id))[TrialState.COMPLETE], 4);
  } finally {
    await runner.close();
    await storage.close();
  }
});

test('trials sharing pretraining wait for the first to build it; others run meanwhile', async () => {
  // Class 0 has three points sharing one pretraining (400 ms); class 1 one point.
  const { storage, runner, base } = await setup({ normalClass: [0, 1], lambdaKl: [0.1, 1, 10], seed: [400] });
  // One log of events in the order the scheduler reported them (no clock: the order is the claim).
  const log: { kind: 'start' | 'joint'; cls: number }[] = [];
  try {
    await runSweep({
      ...base,
      shareKey: (t) => `${t.params.normalClass}/${t.params.seed}`,
      events: {
        trialStarted: (t) => log.push({ kind: 'start', cls: t.trial.params.normalClass }),
        progress: (t, p) => {
          if (p.type === 'phase' && p.phase === 'joint') log.push({ kind: 'joint', cls: t.trial.params.normalClass });
        },
      },
    });
    const started = log.filter((e) => e.kind === 'start');
    // The second trial started is class 1's (class 0's others are held back).
    assert.deepEqual(
      started.slice(0, 2).map((s) => s.cls),
      [0, 1],
    );
    const class0 = started.filter((s) => s.cls === 0);
    assert.equal(class0.length, 3);
    // Class 0's second and third trials start only after its first reached joint training (its pretraining was done).
    const firstJoint = log.findIndex((e) => e.kind === 'joint' && e.cls === 0);
    assert.ok(firstJoint >= 0);
    for (const s of class0.slice(1))
      assert.ok(log.indexOf(s) > firstJoint, `held until pretraining was done: ${JSON.stringify(log)}`);
  } finally {
    await runner.close();
    await storage.close();
  }
});

test('a trial left RUNNING by a dead process on this host is failed and its point run again', async () => {
  const { storage, id, runner, base } = await setup({ normalClass: [0, 1] });
  try {
    const orphan = (await storage.claimTrial(id, `${hostname()}:2147483646`))!;
    const summary = await runSweep(base);
    assert.equal(summary.recovered, 1);
    assert.equal((await storage.getTrial(orphan.id)).state, TrialState.FAIL);
    assert.match(String((await storage.getTrial(orphan.id)).userAttrs.error), /died/);
    const complete = await storage.getTrials(id, [TrialState.COMPLETE]);
    assert.equal(complete.length, 2);
    assert.ok(complete.some((t) => t.gridPoint === orphan.gridPoint));
  } finally {
    await runner.close();
    await storage.close();
  }
});

test('epochs without a score (training.evalEvery): the history lists the scored epochs in auroc_epochs', async () => {
  const { storage, id, runner, base } = await setup({ normalClass: [0] }, 1);
  try {
    const makeTask = base.makeTask;
    await runSweep({
      ...base,
      makeTask: (t) => ({ ...makeTask(t), training: { ...makeTask(t).training, evalEvery: 2 } }),
    });
    const [t] = await storage.getTrials(id);
    assert.equal(t!.state, TrialState.COMPLETE);
    assert.deepEqual([...t!.intermediate.entries()], [[2, 0.7]]);
    assert.deepEqual(t!.userAttrs.auroc_history, { svdd: [0.7] });
    assert.deepEqual(t!.userAttrs.auroc_epochs, [2]);
    assert.equal((t!.userAttrs.loss_history as unknown[]).length, 2);
  } finally {
    await runner.close();
    await storage.close();
  }
});

test(
  'a trial over trialTimeout is stopped, its stuck thread replaced, and it FAILs with the reason',
  { timeout: 120_000 },
  async () => {
    // One thread: class 7 spins in a synchronous loop on it; class 1 runs after it on a new thread.
    const { storage, id, runner, base } = await setup({ normalClass: [0, 7, 1] }, 1, stuckWorker);
    try {
      const summary = await runSweep({ ...base, trialTimeoutSeconds: 1 });
      assert.equal(summary.completed, 2);
      assert.equal(summary.failed, 1);
      const byClass = new Map((await storage.getTrials(id)).map((t) => [t.params.normalClass, t]));
      const stuck = byClass.get(7)!;
      assert.equal(stuck.state, TrialState.FAIL);
      assert.match(
        String(stuck.userAttrs.error),
        /timed out: ran longer than trialTimeout 1 s; the worker was stopped and replaced/,
      );
      assert.equal(stuck.systemAttrs[FAIL_KIND_ATTR], 'trial', 'a timeout counts against maxRetries');
      assert.equal(byClass.get(1)!.state, TrialState.COMPLETE);
      assert.notEqual(
        byClass.get(1)!.userAttrs.threadId,
        byClass.get(0)!.userAttrs.threadId,
        'the stuck thread was replaced',
      );
    } finally {
      await runner.close();
      await storage.close();
    }
  },
);

test('a pruner that throws (e.g. the database is locked) is noted and the trial runs on to COMPLETE', async () => {
  const { storage, id, runner, base } = await setup({ normalClass: [0] }, 1);
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
    assert.equal((await storage.getTrials(id))[0]!.state, TrialState.COMPLETE);
    assert.ok(
      notes.some((n) => /pruner: trial 0 epoch 1: database is locked/.test(n)),
      notes.join('\n'),
    );
  } finally {
    await runner.close();
    await storage.close();
  }
});

test('a pruned trial stops at its verdict and leaves its worker thread to the next trial', async () => {
  // One thread; the pruner stops every trial after epoch 1.
  const { storage, id, runner, base } = await setup({ normalClass: [0, 1, 2] }, 1);
  const asked: number[] = [];
  try {
    const summary = await runSweep({
      ...base,
      pruner: {
        check(_t, epoch) {
          asked.push(epoch);
          return Promise.resolve({ prune: true, reason: 'test' });
        },
      },
    });
    assert.equal(summary.pruned, 3);
    assert.equal(summary.completed, 0);
    assert.deepEqual(asked, [1, 1, 1], 'asked once per trial, after its scored epoch 1');
    const trials = await storage.getTrials(id);
    for (const t of trials) {
      assert.equal(t.state, TrialState.PRUNED);
      assert.deepEqual(t.userAttrs.pruned_at, { epoch: 1, reason: 'test' });
      assert.equal(t.value, 0.6);
      assert.deepEqual([...t.intermediate.keys()], [1], 'no epoch past the verdict');
    }
    // The worker returned normally: one thread ran all three, and its facts were kept.
    assert.equal(new Set(trials.map((t) => t.userAttrs.thread_id)).size, 1);
    assert.equal(typeof trials[0]!.userAttrs.thread_id, 'number');
  } finally {
    await runner.close();
    await storage.close();
  }
});

test(
  'heartbeats come from the worker: a silent (stuck) thread is caught as hung; long synchronous steps that report alive are not',
  { timeout: 120_000 },
  async () => {
    // Class 7 spins; class 8 runs eight synchronous 400 ms steps (3.2 s), more than
    // the 1.5 s silence allowed in all, but it reports between steps, as training does.
    const { storage, id, runner, base } = await setup({ normalClass: [7, 8], seed: [400] }, 2, stuckWorker);
    const beats = new Map<number, number>();
    // The real storage, counting the heartbeats written per trial.
    const counted = new Proxy(storage, {
      get(target, key) {
        if (key === 'heartbeat')
          return (trialId: number) => (beats.set(trialId, (beats.get(trialId) ?? 0) + 1), target.heartbeat(trialId));
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    try {
      const summary = await runSweep({ ...base, storage: counted, staleSeconds: 1.5, heartbeatMs: 100 });
      assert.equal(summary.failed, 1);
      assert.equal(summary.completed, 1);
      const byClass = new Map((await storage.getTrials(id)).map((t) => [t.params.normalClass, t]));
      assert.equal(byClass.get(8)!.state, TrialState.COMPLETE);
      const hung = byClass.get(7)!;
      assert.equal(hung.state, TrialState.FAIL);
      assert.match(
        String(hung.userAttrs.error),
        /worker hung: no sign of life from its thread for \d+ s \(limit --stale-after 1\.5 s\)/,
      );
      // The stuck thread's trial stopped getting heartbeats once it fell silent; the busy one kept getting them.
      assert.ok(
        (beats.get(hung.id) ?? 0) < beats.get(byClass.get(8)!.id)!,
        `heartbeats: hung ${beats.get(hung.id)}, busy ${beats.get(byClass.get(8)!.id)}`,
      );
    } finally {
      await runner.close();
      await storage.close();
    }
  },
);

test('maxRetries: a point that failed 1 + maxRetries times is not queued again, by start or stale recovery; a dead process does not count', async () => {
  // Class 9 always fails (env-worker).
  const { storage, id, points, runner, base, distributions } = await setup({ normalClass: [0, 9] });
  const failing = points.find((p) => p.params.normalClass === 9)!;
  try {
    await runSweep({ ...base, maxRetries: 1 });
    assert.deepEqual(await storage.enqueuePoints(id, points, distributions, { maxRetries: 1 }), {
      added: 1,
      present: 1,
      exhausted: 0,
    });
    await runSweep({ ...base, maxRetries: 1 });
    // Two counted failures: past maxRetries 1, so start does not queue it; without a limit it would.
    assert.deepEqual(await storage.enqueuePoints(id, points, distributions, { maxRetries: 1 }), {
      added: 0,
      present: 1,
      exhausted: 1,
    });
    const given = givenUpPoints(await storage.getTrials(id), 1);
    assert.deepEqual(
      given.map((g) => [g.gridPoint, g.failures]),
      [[failing.id, 2]],
    );
    assert.match(given[0]!.lastError, /class 9 fails on purpose/);
    assert.deepEqual(givenUpPoints(await storage.getTrials(id), 2), []);

    // maxRetries 2 allows a third run. A sweep process dies while running it: that
    // FAIL says nothing about the point and does not count, so it is queued again.
    assert.equal((await storage.enqueuePoints(id, points, distributions, { maxRetries: 2 })).added, 1);
    const orphan = (await storage.claimTrial(id, `${hostname()}:2147483646`))!;
    const summary = await runSweep({ ...base, maxRetries: 2 });
    assert.equal(summary.recovered, 1);
    assert.equal((await storage.getTrial(orphan.id)).systemAttrs[FAIL_KIND_ATTR], 'process');
    assert.equal(summary.failed, 1, 'the point ran again after the dead process and failed a third time');
    assert.equal((await storage.enqueuePoints(id, points, distributions, { maxRetries: 2 })).exhausted, 1);

    // Stale recovery: a trial of an exhausted point (queued under a laxer limit) is failed and not queued again.
    await storage.enqueuePoints(id, points, distributions, { maxRetries: 5 });
    const stale = (await storage.claimTrial(id, 'elsewhere:1'))!;
    // Stale after 0 s once its heartbeat lies strictly in the past (timestamps are to the microsecond).
    const claimed = Date.now();
    while (Date.now() <= claimed + 1) await new Promise((r) => setImmediate(r));
    assert.deepEqual(await storage.failStaleTrials(id, 0, { maxRetries: 2 }), [stale.id]);
    assert.equal((await storage.getTrial(stale.id)).systemAttrs[FAIL_KIND_ATTR], 'process');
    assert.equal((await storage.countTrials(id))[TrialState.WAITING], 0);
    assert.equal((await storage.getTrials(id, [TrialState.COMPLETE])).length, 1);
  } finally {
    await runner.close();
    await storage.close();
  }
});

test('a trial failed by another process meanwhile (its heartbeat looked stale) is dropped, not an error: the sweep goes on', async () => {
  // seed 400: the fixture reports its pretraining phase, then works 400 ms.
  const { storage, id, runner, base } = await setup({ normalClass: [0], seed: [400] });
  const notes: string[] = [];
  let takenOver: number | null = null;
  let takeover: Promise<void> | null = null;
  try {
    const summary = await runSweep({
      ...base,
      events: {
        note: (m) => notes.push(m),
        progress: (_t, p) => {
          // What a second `start` does when this trial's heartbeat looks stale to it.
          if (takeover === null && p.type === 'phase')
            takeover = storage.failStaleTrials(id, 0).then((ids) => void (takenOver = ids[0] ?? -1));
        },
      },
    });
    await (takeover as Promise<void> | null);
    const first = await storage.getTrial(takenOver!);
    assert.equal(first.state, TrialState.FAIL);
    assert.match(String(first.userAttrs.error), /stale heartbeat/);
    assert.ok(
      notes.some((n) => /trial 0 was finished by another process meanwhile .*this run's outcome is dropped/.test(n)),
      notes.join('\n'),
    );
    // The point was queued again by the stale recovery and ran here.
    assert.equal(summary.completed, 1);
    assert.equal((await storage.getTrials(id, [TrialState.COMPLETE])).length, 1);
  } finally {
    await runner.close();
    await storage.close();
  }
});

// The exit rule (start and worker alike): leave when nothing waits and nothing
// runs anywhere; while other processes' trials run, watch them and take over
// one whose host died. Time is an injected clock shared by the SQLite storage
// (heartbeats, staleness) and the scheduler (its watch): each sleep advances
// it, so minutes of watching take no real time.
function fakeClock(onSleep: (count: number) => void | Promise<void> = () => {}) {
  let t = Date.UTC(2026, 0, 1);
  const sleeps: number[] = [];
  const clock: SchedulerClock = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
      await onSleep(sleeps.length);
    },
  };
  return { now: () => t, sleeps, clock };
}

test('watch interval: a quarter of --stale-after, at most 15 s, at least the poll', () => {
  assert.equal(watchIntervalMs(60, 1000), 15_000);
  assert.equal(watchIntervalMs(20, 1000), 5000);
  assert.equal(watchIntervalMs(600, 1000), 15_000);
  assert.equal(watchIntervalMs(1, 1000), 1000);
  assert.equal(watchIntervalMs(0.4, 50), 100);
});

test("nothing waits but another host's trial runs: the sweep watches it, takes it over once stale, runs it, then leaves", async () => {
  const time = fakeClock();
  const { storage, id, runner, base } = await setup({ normalClass: [0, 1, 2] }, 2, workerFile, time.now);
  try {
    // Another host's trial, its heartbeat now (by the storage's clock); that host then dies: no more heartbeats.
    const theirs = (await storage.claimTrial(id, 'elsewhere:1'))!;
    const notes: string[] = [];
    const summary = await runSweep({
      ...base,
      owner: 'me:42',
      staleSeconds: 60,
      clock: time.clock,
      events: { note: (m) => notes.push(m) },
    });
    // Watched every 15 s: at 60 s its heartbeat is exactly 60 s old (not yet stale), at 75 s it is taken over.
    assert.deepEqual(time.sleeps, [15_000, 15_000, 15_000, 15_000, 15_000]);
    assert.deepEqual([summary.completed, summary.failed, summary.recovered, summary.interrupted], [3, 0, 1, false]);
    assert.ok(
      notes.some((n) => /nothing waits; watching 1 trial\(s\) other processes run \(every 15 s\)/.test(n)),
      notes.join('\n'),
    );
    assert.ok(notes.some((n) => /queued again 1 trial\(s\) whose process stopped sending heartbeats/.test(n)));
    const dead = await storage.getTrial(theirs.id);
    assert.equal(dead.state, TrialState.FAIL);
    assert.equal(dead.systemAttrs[FAIL_KIND_ATTR], 'process');
    const again = (await storage.getTrials(id)).filter((t) => t.gridPoint === theirs.gridPoint && t.id !== theirs.id);
    assert.deepEqual(
      again.map((t) => [t.state, t.systemAttrs.worker]),
      [[TrialState.COMPLETE, 'me:42']],
    );
    assert.equal((await storage.countTrials(id, 'grid'))[TrialState.RUNNING], 0);
  } finally {
    await runner.close();
    await storage.close();
  }
});

test("another host's trial finishing while watched: the sweep leaves, recovering nothing; claimAttrs go to every claimed trial", async () => {
  let theirs = -1;
  let storage: Storage | null = null;
  // The other host finishes its trial during the second look (30 s in).
  const time = fakeClock(async (n) => {
    if (n === 2) await storage!.finishTrial(theirs, TrialState.COMPLETE, 0.5);
  });
  const s = await setup({ normalClass: [0, 1, 2] }, 2, workerFile, time.now);
  storage = s.storage;
  try {
    theirs = (await s.storage.claimTrial(s.id, 'elsewhere:1'))!.id;
    const summary = await runSweep({
      ...s.base,
      owner: 'me:42',
      claimAttrs: { host: 'me', pid: 42, cuda_visible_devices: '3' },
      staleSeconds: 60,
      clock: time.clock,
    });
    assert.deepEqual(time.sleeps, [15_000, 15_000]);
    assert.deepEqual([summary.completed, summary.failed, summary.recovered], [2, 0, 0]);
    const mine = (await s.storage.getTrials(s.id, [TrialState.COMPLETE])).filter((t) => t.id !== theirs);
    assert.equal(mine.length, 2);
    for (const t of mine)
      assert.deepEqual(
        [t.systemAttrs.worker, t.systemAttrs.host, t.systemAttrs.pid, t.systemAttrs.cuda_visible_devices],
        ['me:42', 'me', 42, '3'],
      );
  } finally {
    await s.runner.close();
    await s.storage.close();
  }
});

test("a signal while watching another host's trial stops the sweep at once: no more looks, nothing taken over", async () => {
  const ac = new AbortController();
  const time = fakeClock((n) => {
    if (n === 1) ac.abort();
  });
  const { storage, id, runner, base } = await setup({ normalClass: [0, 1] }, 2, workerFile, time.now);
  try {
    const theirs = (await storage.claimTrial(id, 'elsewhere:1'))!;
    const summary = await runSweep({ ...base, owner: 'me:42', staleSeconds: 60, signal: ac.signal, clock: time.clock });
    assert.deepEqual(time.sleeps, [15_000]);
    assert.deepEqual([summary.completed, summary.recovered, summary.interrupted], [1, 0, true]);
    assert.equal((await storage.getTrial(theirs.id)).state, TrialState.RUNNING);
  } finally {
    await runner.close();
    await storage.close();
  }
});
