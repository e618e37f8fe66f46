// The PostgreSQL backend against a real server (pg-server.ts), beyond the
// shared suite (suite.ts, run on PostgreSQL by postgres-suite.test.ts): what
// only PostgreSQL has (concurrent opens and enqueues racing on the server,
// savepoints, the server's clock, artifacts and leases, closing the pool),
// and checks the suite does not make (maxRetries, foreign trials, a Float
// distribution imported verbatim). A case the suite repeats exactly is not
// kept here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../../src/errors/index.js';
import type { TrialParams } from '../../src/grid/expand.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import type { Storage } from '../../src/storage/storage.js';
import { TrialFinishedError, TrialState, TrialStateError } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints } from './helpers.js';
import { binDir, startPgServer, type PgServer } from './pg-server.js';

const LR_JSON = '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}';
const dbOf = (url: string) => new URL(url).pathname.slice(1);

describe('PostgreSQL storage: every method', () => {
  let server: PgServer;
  const opened: Storage[] = [];
  before(async () => {
    server = await startPgServer();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });
  const fresh = async (): Promise<{ storage: Storage; url: string }> => {
    const url = server.url(await server.freshDatabase());
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    return { storage, url };
  };

  it('creates a study once and returns it on reopen, keeping its first system attrs', async () => {
    const { storage, url } = await fresh();
    const a = await storage.openStudy('alpha', { search_space: { model: ['CAE'] }, definition: 'h1' });
    assert.equal(a.name, 'alpha');
    assert.deepEqual(a.systemAttrs, { search_space: { model: ['CAE'] }, definition: 'h1' });
    const again = await storage.openStudy('alpha', { definition: 'h2' });
    assert.equal(again.id, a.id);
    assert.equal(again.systemAttrs.definition, 'h1');
    const b = await storage.openStudy('beta', {});
    assert.notEqual(b.id, a.id);
    assert.deepEqual(
      (await storage.listStudies()).map((s) => s.name),
      ['alpha', 'beta'],
    );
    assert.equal(await storage.getStudy('gamma'), null);
    await storage.setStudySystemAttr(a.id, 'definition', 'h3');
    assert.equal((await storage.getStudy('alpha'))?.systemAttrs.definition, 'h3');
    await assert.rejects(storage.setStudySystemAttr(99_999, 'k', 1), StorageError);
    // Two hosts opening one new study at once create it once.
    const twins = await Promise.all([storage.openStudy('twin', { n: 1 }), storage.openStudy('twin', { n: 2 })]);
    assert.equal(twins[0].id, twins[1].id);
    const reopened = await openPostgresStorage(url);
    opened.push(reopened);
    assert.equal((await reopened.getStudy('alpha'))?.systemAttrs.definition, 'h3');
  });

  it('enqueues each point once, numbers trials 0.. per study, and refuses bad points writing nothing', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    const other = await storage.openStudy('other', {});
    const points = makePoints(50);
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 50, present: 0 });
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 0, present: 50 });
    const more = makePoints(60);
    assert.deepEqual(await storage.enqueuePoints(s.id, more, DISTRIBUTIONS), { added: 10, present: 50 });
    assert.deepEqual(await storage.enqueuePoints(other.id, [...points.slice(0, 3), points[0]], DISTRIBUTIONS), {
      added: 3,
      present: 1,
    });
    const trials = await storage.getTrials(s.id);
    assert.deepEqual(
      trials.map((t) => t.number),
      [...Array(60).keys()],
    );
    for (const [i, t] of trials.entries()) {
      assert.equal(t.state, TrialState.WAITING);
      assert.equal(t.gridPoint, more[i].id);
      assert.deepEqual({ ...t.params }, { ...more[i].params });
      assert.equal(t.value, null);
      assert.equal(t.startedAt, null);
    }
    assert.deepEqual(await storage.countTrials(s.id), { 0: 0, 1: 0, 2: 0, 3: 0, 4: 60 });
    const empty = await storage.openStudy('empty', {});
    const [p] = makePoints(1);
    await assert.rejects(
      storage.enqueuePoints(empty.id, [p], { ...DISTRIBUTIONS, normalClass: [5, 6] }),
      /normalClass=0 is not among its choices/,
    );
    const { seed: _seed, ...noSeed } = DISTRIBUTIONS;
    await assert.rejects(storage.enqueuePoints(empty.id, [p], noSeed), /"seed"/);
    assert.equal((await storage.getTrials(empty.id)).length, 0);
    await assert.rejects(storage.enqueuePoints(99_999, makePoints(1), DISTRIBUTIONS), StorageError);
    // Two hosts enqueueing the same points at once queue each once.
    const race = await storage.openStudy('race', {});
    const both = await Promise.all([
      storage.enqueuePoints(race.id, points, DISTRIBUTIONS),
      storage.enqueuePoints(race.id, points, DISTRIBUTIONS),
    ]);
    assert.equal(both[0].added + both[1].added, 50);
    assert.deepEqual(
      (await storage.getTrials(race.id)).map((t) => t.number),
      [...Array(50).keys()],
    );
  });

  it('re-queues FAIL-only points, PRUNED-only ones when asked, and stops at maxRetries (exhausted)', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    const points = makePoints(5);
    await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
    const claimed = [];
    for (let i = 0; i < 4; i++) claimed.push((await storage.claimTrial(s.id, 'w'))!);
    await storage.finishTrial(claimed[0].id, TrialState.COMPLETE, 0.9);
    await storage.finishTrial(claimed[1].id, TrialState.FAIL);
    await storage.finishTrial(claimed[2].id, TrialState.PRUNED, 0.4);
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 1, present: 4 });
    const requeued = (await storage.getTrials(s.id, [TrialState.WAITING])).find((t) => t.gridPoint === points[1].id);
    assert.equal(requeued?.number, 5);
    assert.deepEqual({ ...requeued.params }, { ...points[1].params });
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 0, present: 5 });
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS, { rerunPruned: true }), {
      added: 1,
      present: 4,
    });
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS, { rerunPruned: true }), {
      added: 0,
      present: 5,
    });

    // maxRetries: failures of kind "trial" count, "process" ones do not.
    const r = await storage.openStudy('retries', {});
    const [pt] = makePoints(1);
    const failOnce = async (kind: 'trial' | 'process') => {
      await storage.enqueuePoints(r.id, [pt], DISTRIBUTIONS, { maxRetries: 1 });
      const t = (await storage.claimTrial(r.id, 'w'))!;
      await storage.setSystemAttrs(t.id, { fail_kind: kind });
      await storage.finishTrial(t.id, TrialState.FAIL);
    };
    await failOnce('trial');
    await failOnce('process');
    await failOnce('trial');
    assert.deepEqual(await storage.enqueuePoints(r.id, [pt], DISTRIBUTIONS, { maxRetries: 1 }), {
      added: 0,
      present: 0,
      exhausted: 1,
    });
    assert.deepEqual(await storage.enqueuePoints(r.id, [pt], DISTRIBUTIONS, { maxRetries: 2 }), {
      added: 1,
      present: 0,
      exhausted: 0,
    });
  });

  it('claims the oldest WAITING grid trial with start, heartbeat (server clock) and worker; `accept` skips', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    assert.equal(await storage.claimTrial(s.id, 'w'), null);
    const points = makePoints(4);
    await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
    const t = (await storage.claimTrial(s.id, 'host:1'))!;
    assert.equal(t.number, 0);
    assert.equal(t.state, TrialState.RUNNING);
    assert.equal(t.gridPoint, points[0].id);
    assert.equal(t.systemAttrs.worker, 'host:1');
    assert.ok(t.startedAt && t.heartbeatAt);
    assert.equal(t.heartbeatAt.getTime(), t.startedAt.getTime());
    const keep = new Set([points[3].id]);
    assert.equal((await storage.claimTrial(s.id, 'w', (x) => keep.has(x.gridPoint)))?.gridPoint, points[3].id);
    assert.equal(await storage.claimTrial(s.id, 'w', (x) => keep.has(x.gridPoint)), null);
    const waiting = await storage.getTrials(s.id, [TrialState.WAITING]);
    assert.deepEqual(
      waiting.map((x) => x.gridPoint),
      [points[1].id, points[2].id],
    );
    assert.ok(waiting.every((x) => x.startedAt === null && x.systemAttrs.worker === undefined));
    assert.deepEqual(await storage.countTrials(s.id), { 0: 2, 1: 0, 2: 0, 3: 0, 4: 2 });
  });

  it('finishes with values (infinities too) and guards every transition and finished trial', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    await storage.enqueuePoints(s.id, makePoints(6), DISTRIBUTIONS);
    const waiting = (await storage.getTrials(s.id))[5];
    const [a, b, c, d] = [
      (await storage.claimTrial(s.id, 'w'))!,
      (await storage.claimTrial(s.id, 'w'))!,
      (await storage.claimTrial(s.id, 'w'))!,
      (await storage.claimTrial(s.id, 'w'))!,
    ];
    await storage.finishTrial(a.id, TrialState.COMPLETE, 0.875);
    const done = await storage.getTrial(a.id);
    assert.equal(done.value, 0.875);
    assert.ok(done.completedAt && done.startedAt && done.completedAt >= done.startedAt);
    await storage.finishTrial(b.id, TrialState.COMPLETE, -Infinity);
    assert.equal((await storage.getTrial(b.id)).value, -Infinity);
    await storage.finishTrial(c.id, TrialState.PRUNED);
    assert.equal((await storage.getTrial(c.id)).value, null);
    await assert.rejects(storage.finishTrial(a.id, TrialState.COMPLETE, 0.1), TrialStateError);
    await assert.rejects(storage.requeueTrial(a.id), TrialStateError);
    await assert.rejects(storage.finishTrial(waiting.id, TrialState.COMPLETE, 0.5), TrialStateError);
    await assert.rejects(storage.requeueTrial(waiting.id), TrialStateError);
    assert.equal((await storage.getTrial(a.id)).value, 0.875);
    await assert.rejects(storage.finishTrial(d.id, TrialState.COMPLETE), StorageError);
    await assert.rejects(storage.finishTrial(d.id, TrialState.COMPLETE, NaN), StorageError);
    await assert.rejects(storage.finishTrial(d.id, TrialState.FAIL, 0.5), StorageError);
    await assert.rejects(storage.finishTrial(d.id, TrialState.RUNNING), StorageError);
    await storage.finishTrial(d.id, TrialState.FAIL);
    await assert.rejects(storage.setIntermediateValue(a.id, 3, 0.5), TrialFinishedError);
    await assert.rejects(storage.setUserAttrs(d.id, { late: true }), TrialFinishedError);
    await assert.rejects(storage.setSystemAttrs(a.id, { late: true }), TrialFinishedError);
    assert.deepEqual((await storage.getTrial(d.id)).userAttrs, {});
    assert.equal((await storage.getTrial(a.id)).intermediate.size, 0);
    await assert.rejects(storage.getTrial(99_999), StorageError);
    await assert.rejects(storage.finishTrial(99_999, TrialState.FAIL), StorageError);
    await assert.rejects(storage.heartbeat(99_999), StorageError);
    await assert.rejects(storage.setUserAttrs(99_999, { a: 1 }), StorageError);
    assert.deepEqual(await storage.countTrials(s.id), { 0: 0, 1: 2, 2: 1, 3: 1, 4: 2 });
  });

  it('requeues an interrupted trial: WAITING, start, heartbeat and curve cleared, claimed first', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    await storage.enqueuePoints(s.id, makePoints(3), DISTRIBUTIONS);
    const t = (await storage.claimTrial(s.id, 'w'))!;
    await storage.setIntermediateValue(t.id, 1, 0.5);
    await storage.requeueTrial(t.id);
    const back = await storage.getTrial(t.id);
    assert.equal(back.state, TrialState.WAITING);
    assert.equal(back.startedAt, null);
    assert.equal(back.heartbeatAt, null);
    assert.equal(back.intermediate.size, 0);
    assert.equal((await storage.claimTrial(s.id, 'w2'))?.id, t.id);
    assert.equal((await storage.getTrial(t.id)).systemAttrs.worker, 'w2');
  });

  it('atomically: all writes commit together or none; nested calls are savepoints', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    await storage.enqueuePoints(s.id, makePoints(3), DISTRIBUTIONS);
    const t = (await storage.claimTrial(s.id, 'w'))!;
    await assert.rejects(
      storage.atomically(async (tx) => {
        await tx.setUserAttrs(t.id, { auroc: 0.9 });
        await tx.finishTrial(t.id, TrialState.COMPLETE, 0.9);
        throw new Error('crash between the writes');
      }),
      /crash between the writes/,
    );
    assert.equal((await storage.getTrial(t.id)).state, TrialState.RUNNING);
    assert.equal((await storage.getTrial(t.id)).userAttrs.auroc, undefined);
    const result = await storage.atomically(async (tx) => {
      await tx.setIntermediateValue(t.id, 1, 0.8);
      await tx.setUserAttrs(t.id, { auroc: 0.8 });
      // A failing nested part is undone alone, the rest goes on.
      await assert.rejects(
        tx.atomically(async (inner) => {
          await inner.setUserAttrs(t.id, { inner: true });
          throw new Error('inner');
        }),
        /inner/,
      );
      // A refused call inside leaves the transaction usable.
      await assert.rejects(tx.enqueuePoints(s.id, makePoints(1), { model: ['x'] }), StorageError);
      await tx.finishTrial(t.id, TrialState.COMPLETE, 0.8);
      return 'done';
    });
    assert.equal(result, 'done');
    const done = await storage.getTrial(t.id);
    assert.equal(done.state, TrialState.COMPLETE);
    assert.deepEqual(done.userAttrs, { auroc: 0.8 });
    assert.equal(done.intermediate.get(1), 0.8);
  });

  it('fails stale RUNNING trials by the server clock and re-queues their points', async () => {
    const { storage, url } = await fresh();
    const s = await storage.openStudy('s', {});
    const points = makePoints(3);
    await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
    const dead = (await storage.claimTrial(s.id, 'dead'))!;
    const alive = (await storage.claimTrial(s.id, 'alive'))!;
    await storage.setIntermediateValue(dead.id, 1, 0.3);
    assert.deepEqual(await storage.failStaleTrials(s.id, 60), []);
    // The dead host's last heartbeat 2 minutes ago by the server's clock (no sleeping).
    await server.sql(
      dbOf(url),
      "UPDATE trial_heartbeats SET heartbeat = (now() AT TIME ZONE 'UTC') - interval '2 minutes' WHERE trial_id = $1",
      [dead.id],
    );
    await storage.heartbeat(alive.id);
    const beat = (await storage.getTrial(alive.id)).heartbeatAt!;
    assert.ok(beat >= alive.heartbeatAt!, 'heartbeat moved forward');
    assert.deepEqual(await storage.failStaleTrials(s.id, 60), [dead.id]);
    const failed = await storage.getTrial(dead.id);
    assert.equal(failed.state, TrialState.FAIL);
    assert.match(
      String(failed.userAttrs.error),
      /stale heartbeat: none since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC.*process died\?/,
    );
    assert.equal(failed.systemAttrs.fail_kind, 'process');
    assert.equal(failed.intermediate.get(1), 0.3);
    assert.equal((await storage.getTrial(alive.id)).state, TrialState.RUNNING);
    const again = (await storage.getTrials(s.id, [TrialState.WAITING])).filter((t) => t.gridPoint === points[0].id);
    assert.equal(again.length, 1);
    assert.equal(again[0].number, 3);
    assert.deepEqual({ ...again[0].params }, { ...points[0].params });
    assert.deepEqual(await storage.failStaleTrials(s.id, 60), []);
    assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 0, present: 3 });
    const hb = (await storage.getTrial(dead.id)).heartbeatAt;
    await storage.heartbeat(dead.id);
    assert.deepEqual(
      (await storage.getTrial(dead.id)).heartbeatAt,
      hb,
      'a late heartbeat of a failed trial changes nothing',
    );
    await assert.rejects(storage.failStaleTrials(s.id, -1), RangeError);
  });

  it('getTrials filters by state; countTrials splits grid and foreign trials', async () => {
    const { storage } = await fresh();
    const s = await storage.openStudy('s', {});
    await storage.enqueuePoints(s.id, makePoints(40), DISTRIBUTIONS);
    for (let i = 0; i < 5; i++) await storage.claimTrial(s.id, 'w');
    assert.deepEqual(
      (await storage.getTrials(s.id, [TrialState.RUNNING])).map((t) => t.number),
      [0, 1, 2, 3, 4],
    );
    assert.equal((await storage.getTrials(s.id, [TrialState.WAITING])).length, 35);
    assert.equal((await storage.getTrials(s.id, [TrialState.RUNNING, TrialState.WAITING])).length, 40);
    assert.equal((await storage.getTrials(s.id, [])).length, 0);
    // A trial without a grid point (as Optuna enqueues one): foreign, never claimed.
    await storage.importTrial(s.id, {
      state: TrialState.WAITING,
      value: null,
      params: {} as unknown as TrialParams,
      distributions: {},
      intermediate: new Map(),
      userAttrs: {},
      systemAttrs: {},
      startedAt: null,
      completedAt: null,
    });
    assert.deepEqual(await storage.countTrials(s.id, 'foreign'), { 0: 0, 1: 0, 2: 0, 3: 0, 4: 1 });
    assert.deepEqual(await storage.countTrials(s.id, 'grid'), { 0: 5, 1: 0, 2: 0, 3: 0, 4: 35 });
    assert.deepEqual(await storage.countTrials(s.id), { 0: 5, 1: 0, 2: 0, 3: 0, 4: 36 });
    for (let i = 0; i < 35; i++) assert.ok(await storage.claimTrial(s.id, 'w'));
    assert.equal(await storage.claimTrial(s.id, 'w'), null, 'the foreign WAITING trial stays for Optuna');
  });

  it('importTrial adds a trial exactly as given; deleteStudy removes one study and everything of it', async () => {
    const { storage } = await fresh();
    const a = await storage.openStudy('a', { k: 1 });
    const b = await storage.openStudy('b', { k: 2 });
    const started = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const id = await storage.importTrial(a.id, {
      state: TrialState.COMPLETE,
      value: 0.625,
      params: { model: 'CAE', normalClass: 3, lr: 0.01 } as unknown as TrialParams,
      // A param Optuna sampled from a float distribution comes with its stored JSON, kept verbatim.
      distributions: { model: DISTRIBUTIONS.model, normalClass: DISTRIBUTIONS.normalClass, lr: LR_JSON },
      intermediate: new Map([
        [1, 0.5],
        [2, NaN],
        [3, Infinity],
      ]),
      userAttrs: { auroc: { svdd: 0.625 }, note: 'ü' },
      systemAttrs: { grid_point: 'p1', worker: 'h:1' },
      startedAt: started,
      completedAt: new Date(started.getTime() + 1500),
    });
    const t = await storage.getTrial(id);
    assert.equal(t.number, 0);
    assert.equal(t.state, TrialState.COMPLETE);
    assert.equal(t.value, 0.625);
    assert.deepEqual({ ...t.params }, { model: 'CAE', normalClass: 3, lr: 0.01 });
    assert.equal(t.distributions.lr, LR_JSON);
    assert.deepEqual(
      [...t.intermediate.entries()].map(([k, v]) => [k, String(v)]),
      [
        [1, '0.5'],
        [2, 'NaN'],
        [3, 'Infinity'],
      ],
    );
    assert.deepEqual(t.userAttrs, { auroc: { svdd: 0.625 }, note: 'ü' });
    assert.equal(t.gridPoint, 'p1');
    assert.equal(t.startedAt?.toISOString(), started.toISOString());
    assert.equal(t.completedAt?.getTime(), started.getTime() + 1500);
    await assert.rejects(
      storage.importTrial(a.id, {
        state: TrialState.FAIL,
        value: null,
        params: { model: 'VAE' } as unknown as TrialParams,
        distributions: { model: DISTRIBUTIONS.model },
        intermediate: new Map(),
        userAttrs: {},
        systemAttrs: {},
        startedAt: null,
        completedAt: null,
      }),
      /not among its choices/,
    );
    await storage.enqueuePoints(a.id, makePoints(3), DISTRIBUTIONS);
    await storage.enqueuePoints(b.id, makePoints(2), DISTRIBUTIONS);
    const c = (await storage.claimTrial(a.id, 'w'))!;
    await storage.setIntermediateValue(c.id, 1, 0.5);
    await storage.finishTrial(c.id, TrialState.COMPLETE, 0.5);
    await storage.deleteStudy(a.id);
    assert.equal(await storage.getStudy('a'), null);
    assert.deepEqual(
      (await storage.listStudies()).map((x) => x.name),
      ['b'],
    );
    assert.equal((await storage.getTrials(b.id)).length, 2);
    await assert.rejects(storage.deleteStudy(a.id), StorageError);
    const again = await storage.openStudy('a', {});
    assert.equal((await storage.getTrials(again.id)).length, 0);
  });

  it('artifacts are stored once with their checksum; a lease has one holder until it expires (server clock)', async () => {
    const { storage, url } = await fresh();
    const store = storage.artifacts!;
    assert.equal(await store.getArtifact('w/CAE/0'), null);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const put = await store.putArtifact('w/CAE/0', bytes);
    assert.equal(put.sha256, createHash('sha256').update(bytes).digest('hex'));
    const second = await store.putArtifact('w/CAE/0', new Uint8Array([9]));
    assert.deepEqual([...second.bytes], [1, 2, 3, 250], 'the first put is kept');
    const got = (await store.getArtifact('w/CAE/0'))!;
    assert.deepEqual([...got.bytes], [1, 2, 3, 250]);
    assert.equal(got.sha256, put.sha256);
    assert.ok(got.createdAt instanceof Date);
    const other = await openPostgresStorage(url);
    opened.push(other);
    assert.deepEqual(
      [...(await other.artifacts!.getArtifact('w/CAE/0'))!.bytes],
      [1, 2, 3, 250],
      'another host reads it',
    );

    assert.equal(await store.acquireLease('build/0', 'host-a', 60), true);
    assert.equal(await other.artifacts!.acquireLease('build/0', 'host-b', 60), false);
    assert.equal(await store.acquireLease('build/0', 'host-a', 60), true, 'renewed by its holder');
    await other.artifacts!.releaseLease('build/0', 'host-b');
    assert.equal(await other.artifacts!.acquireLease('build/0', 'host-b', 60), false, 'only the holder releases');
    await store.releaseLease('build/0', 'host-a');
    assert.equal(await other.artifacts!.acquireLease('build/0', 'host-b', 60), true);
    // Expired by the server's clock: anyone may take it.
    await server.sql(dbOf(url), "UPDATE iae_leases SET expires_at = now() - interval '1 second'");
    assert.equal(await store.acquireLease('build/0', 'host-a', 60), true);
    // Concurrent takers of a free lease: exactly one wins.
    const wins = await Promise.all(['x', 'y', 'z', 'w'].map((h) => other.artifacts!.acquireLease('build/1', h, 60)));
    assert.equal(wins.filter(Boolean).length, 1);
  });

  it('the test server refuses to start without PostgreSQL binaries, saying what to install (never a silent skip)', () => {
    const saved = process.env.PG_BIN;
    process.env.PG_BIN = '/nonexistent/postgresql/bin';
    try {
      assert.throws(() => binDir(), /no initdb in PG_BIN.*apt-get install postgresql/);
    } finally {
      if (saved === undefined) delete process.env.PG_BIN;
      else process.env.PG_BIN = saved;
    }
    assert.match(binDir(), /initdb|bin$/);
  });

  it('close() ends the pool; later calls are refused with a StorageError', async () => {
    const { url } = await fresh();
    const s = await openPostgresStorage(url);
    await s.close();
    await s.close();
    await assert.rejects(s.listStudies(), /closed/);
    assert.match(s.location, /^postgresql:\/\/iae:\*\*\*@127\.0\.0\.1:\d+\/fresh_/);
  });
});
