// The one recovery policy (src/scheduler/recovery.ts) on a real SQLite file
// with an injected clock: a dead process on this host is recovered at once, a
// stale heartbeat elsewhere once it is stale, a live or fresh one never; each
// recovery is FAIL (fail_kind "process") plus the point queued again, together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { recoverDeadTrials } from '../../src/scheduler/recovery.js';
import { TrialState } from '../../src/trial/state.js';
import { FAIL_KIND_ATTR } from '../../src/trial/retries.js';
import { DISTRIBUTIONS, makePoints, tempDir } from '../storage/helpers.js';

test('dead pid on this host now, stale heartbeat otherwise; live and fresh trials stay RUNNING', async (t) => {
  const tmp = tempDir('iae-recovery-');
  t.after(() => tmp.cleanup());
  let now = Date.now();
  const storage = openSqliteStorage(join(tmp.dir, 's.sqlite3'), { clock: () => now });
  t.after(() => storage.close());
  const s = await storage.openStudy('s', {});
  const points = makePoints(4);
  await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
  const dead = (await storage.claimTrial(s.id, 'here:101'))!; // pid 101 is gone
  const alive = (await storage.claimTrial(s.id, 'here:102'))!; // pid 102 runs
  const remote = (await storage.claimTrial(s.id, 'there:101'))!; // another host: only its heartbeat tells
  const opts = {
    storage,
    studyId: s.id,
    owner: 'here:1',
    staleSeconds: 60,
    distributions: DISTRIBUTIONS,
    limits: { maxRetries: 2 },
    isAlive: (pid: number) => pid === 102,
  };

  assert.deepEqual(await recoverDeadTrials(opts), { died: 1, stale: 0 });
  const failed = await storage.getTrial(dead.id);
  assert.equal(failed.state, TrialState.FAIL);
  assert.equal(failed.systemAttrs[FAIL_KIND_ATTR], 'process');
  assert.match(String(failed.userAttrs.error), /process 101 on here died/);
  const requeued = (await storage.getTrials(s.id, [TrialState.WAITING])).filter((x) => x.gridPoint === dead.gridPoint);
  assert.equal(requeued.length, 1, 'the point is queued again');
  assert.equal((await storage.getTrial(alive.id)).state, TrialState.RUNNING);
  assert.equal((await storage.getTrial(remote.id)).state, TrialState.RUNNING);

  // Again: nothing new is dead, and the recovered trial is not recovered twice.
  assert.deepEqual(await recoverDeadTrials(opts), { died: 0, stale: 0 });

  // An hour later with no heartbeat, the live pid's trial and the remote one are stale.
  now += 3600_000;
  await storage.heartbeat(alive.id);
  assert.deepEqual(await recoverDeadTrials(opts), { died: 0, stale: 1 });
  assert.equal((await storage.getTrial(remote.id)).state, TrialState.FAIL);
  assert.equal((await storage.getTrial(alive.id)).state, TrialState.RUNNING, 'its heartbeat is fresh');
  const counts = await storage.countTrials(s.id);
  assert.equal(counts[TrialState.FAIL], 2);
  assert.equal(counts[TrialState.RUNNING], 1);
});

test('a dead-process recovery is one transaction: when queuing the point again fails, the trial stays RUNNING', async (t) => {
  const tmp = tempDir('iae-recovery-');
  t.after(() => tmp.cleanup());
  const storage = openSqliteStorage(join(tmp.dir, 's.sqlite3'));
  t.after(() => storage.close());
  const s = await storage.openStudy('s', {});
  await storage.enqueuePoints(s.id, makePoints(1), DISTRIBUTIONS);
  const dead = (await storage.claimTrial(s.id, 'here:101'))!;
  // No choices for the point's params: enqueuePoints throws inside the transaction.
  const opts = {
    storage,
    studyId: s.id,
    owner: 'here:1',
    staleSeconds: 60,
    distributions: {},
    limits: {},
    isAlive: () => false,
  };
  await assert.rejects(recoverDeadTrials(opts), /no choices/);
  const still = await storage.getTrial(dead.id);
  assert.equal(still.state, TrialState.RUNNING, 'the FAIL was rolled back with the failed requeue');
  assert.equal(still.userAttrs.error, undefined);
});
