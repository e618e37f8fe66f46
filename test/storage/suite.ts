// The one behavioural suite every Storage backend must pass (SQLite,
// PostgreSQL): run it from <backend>.test.ts with that backend's factory.
// Backend-specific things (file layout, read-only opens, refusing foreign
// files) are tested beside it, not here.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StorageError } from '../../src/errors/index.js';
import type { FrozenTrial, Storage } from '../../src/storage/index.js';
import { TrialFinishedError, TrialState, TrialStateError } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints, startChild } from './helpers.js';

/** One fresh, empty database of the backend under test. */
export interface SuiteDb {
  readonly storage: Storage;
  /** A second connection to the same database (the first may be closed by then). */
  reopen(): Promise<Storage>;
  /** What the child-process fixture (fixtures/child.ts) opens: a file path, or a URL. */
  readonly address: string;
  /**
   * Moves the clock that stamps heartbeats and judges them stale forward by
   * `seconds`: an injected clock, so no test sleeps to make a heartbeat stale.
   */
  advanceClock(seconds: number): Promise<void>;
  /** Closes whatever the factory opened and removes the database. */
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  /** Backend name the child-process fixture (fixtures/child.ts) opens the database with. */
  readonly childBackend: string;
}

export function storageSuite(name: string, open: () => Promise<SuiteDb>, opts: SuiteOptions): void {
  describe(`Storage suite: ${name}`, () => {
    const dbs: SuiteDb[] = [];
    const reopened: Storage[] = [];
    /** A fresh database for each test, closed at the end. */
    const fresh = async (): Promise<SuiteDb & { reopen(): Promise<Storage> }> => {
      const db = await open();
      dbs.push(db);
      return {
        ...db,
        storage: db.storage,
        reopen: async () => {
          const s = await db.reopen();
          reopened.push(s);
          return s;
        },
      };
    };
    after(async () => {
      for (const s of reopened) await s.close();
      for (const db of dbs) await db.cleanup();
    });

    it('creates a study once and returns it on reopen, keeping its first system attrs', async () => {
      const db = await fresh();
      const { storage } = db;
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
      // User attrs (Optuna's study.set_user_attr; `sweep copy` writes them): set, overwritten, NaN kept.
      await storage.setStudyUserAttr(a.id, 'note', 'first');
      await storage.setStudyUserAttr(a.id, 'note', { by: 'λ', w: [NaN, Infinity] });
      assert.deepStrictEqual((await storage.getStudy('alpha'))?.userAttrs, { note: { by: 'λ', w: [NaN, Infinity] } });
      assert.deepEqual((await storage.getStudy('beta'))?.userAttrs, {});
      await assert.rejects(storage.setStudyUserAttr(9999, 'k', 1), /no study/);
      // Survives closing and reopening the database.
      await storage.close();
      const reopened = await db.reopen();
      assert.equal((await reopened.getStudy('alpha'))?.id, a.id);
      assert.equal((await reopened.getStudy('alpha'))?.systemAttrs.definition, 'h3');
      assert.deepStrictEqual((await reopened.getStudy('alpha'))?.userAttrs, { note: { by: 'λ', w: [NaN, Infinity] } });
    });

    it('enqueues each point once, adds only new points, numbers trials 0.. per study', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      const other = await storage.openStudy('other', {});
      const points = makePoints(50);
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 50, present: 0 });
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 0, present: 50 });
      const more = makePoints(60);
      assert.deepEqual(await storage.enqueuePoints(s.id, more, DISTRIBUTIONS), { added: 10, present: 50 });
      // Duplicates in one call count once.
      assert.deepEqual(await storage.enqueuePoints(other.id, [...points.slice(0, 3), points[0]], DISTRIBUTIONS), {
        added: 3,
        present: 1,
      });

      const trials = await storage.getTrials(s.id);
      assert.deepEqual(
        trials.map((t) => t.number),
        [...Array(60).keys()],
      );
      assert.deepEqual(
        (await storage.getTrials(other.id)).map((t) => t.number),
        [0, 1, 2],
      );
      for (const [i, t] of trials.entries()) {
        assert.equal(t.state, TrialState.WAITING);
        assert.equal(t.gridPoint, more[i].id);
        // Params come back decoded from their categorical indices, only the point's keys.
        assert.deepEqual({ ...t.params }, { ...more[i].params });
        assert.equal(t.value, null);
        assert.equal(t.startedAt, null);
      }
      assert.deepEqual(await storage.countTrials(s.id), { 0: 0, 1: 0, 2: 0, 3: 0, 4: 60 });
    });

    it('refuses a param value that is not among its choices, and a param with no distribution', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      const [p] = makePoints(1);
      await assert.rejects(
        async () => await storage.enqueuePoints(s.id, [p], { ...DISTRIBUTIONS, normalClass: [5, 6] }),
        (e: unknown) => e instanceof StorageError && /normalClass=0 is not among its choices/.test(e.message),
      );
      const { seed: _seed, ...noSeed } = DISTRIBUTIONS;
      await assert.rejects(
        async () => await storage.enqueuePoints(s.id, [p], noSeed),
        (e: unknown) => e instanceof StorageError && /"seed"/.test(e.message),
      );
      // The failed call wrote nothing (one transaction).
      assert.equal((await storage.getTrials(s.id)).length, 0);
    });

    it('re-queues points whose trials all FAILed, and only those', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      const points = makePoints(5);
      await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
      const claimed: FrozenTrial[] = [];
      for (let i = 0; i < 4; i++) claimed.push((await storage.claimTrial(s.id, 'w'))!);
      await storage.finishTrial(claimed[0].id, TrialState.COMPLETE, 0.9);
      await storage.finishTrial(claimed[1].id, TrialState.FAIL);
      await storage.finishTrial(claimed[2].id, TrialState.PRUNED, 0.4);
      // claimed[3] stays RUNNING, points[4] stays WAITING.
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 1, present: 4 });
      const requeued = (await storage.getTrials(s.id, [TrialState.WAITING])).find((t) => t.gridPoint === points[1].id);
      assert.ok(requeued, 'the FAIL-only point has a new WAITING trial');
      assert.equal(requeued.number, 5);
      assert.deepEqual({ ...requeued.params }, { ...points[1].params });
      // Its earlier FAIL trial is kept as it was.
      assert.equal((await storage.getTrial(claimed[1].id)).state, TrialState.FAIL);
      // A second enqueue does not add it again (it now has a WAITING trial).
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 0, present: 5 });
      // Asked to (start --rerun-pruned), the PRUNED-only point gets a new WAITING trial, once.
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS, { rerunPruned: true }), {
        added: 1,
        present: 4,
      });
      assert.equal(
        (await storage.getTrials(s.id, [TrialState.WAITING])).filter((t) => t.gridPoint === points[2].id).length,
        1,
      );
      assert.equal((await storage.getTrial(claimed[2].id)).state, TrialState.PRUNED);
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS, { rerunPruned: true }), {
        added: 0,
        present: 5,
      });
    });

    it('claims the oldest WAITING trial first, marking it RUNNING with start, heartbeat and worker', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      assert.equal(await storage.claimTrial(s.id, 'w'), null);
      const points = makePoints(3);
      await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
      const before = Date.now();
      const t = await storage.claimTrial(s.id, 'host:1');
      assert.ok(t);
      assert.equal(t.number, 0);
      assert.equal(t.state, TrialState.RUNNING);
      assert.equal(t.gridPoint, points[0].id);
      assert.equal(t.systemAttrs.worker, 'host:1');
      assert.ok(
        t.startedAt && Math.abs(t.startedAt.getTime() - before) < 5000,
        `startedAt ${t.startedAt?.toISOString()}`,
      );
      assert.ok(t.heartbeatAt);
      assert.equal((await storage.claimTrial(s.id, 'w'))?.number, 1);
      assert.equal((await storage.claimTrial(s.id, 'w'))?.number, 2);
      assert.equal(await storage.claimTrial(s.id, 'w'), null);
      assert.deepEqual(await storage.countTrials(s.id), { 0: 3, 1: 0, 2: 0, 3: 0, 4: 0 });
    });

    it('claims only what `accept` takes (the grid in force), leaving the others WAITING and untouched', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      const points = makePoints(4);
      await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
      // Points 0 and 2 were removed from the definition: never claimed.
      const keep = new Set([points[1].id, points[3].id]);
      const accept = (t: { gridPoint: string }) => keep.has(t.gridPoint);
      assert.equal((await storage.claimTrial(s.id, 'w', accept))?.gridPoint, points[1].id);
      assert.equal((await storage.claimTrial(s.id, 'w', accept))?.gridPoint, points[3].id);
      assert.equal(await storage.claimTrial(s.id, 'w', accept), null);
      const waiting = await storage.getTrials(s.id, [TrialState.WAITING]);
      assert.deepEqual(
        waiting.map((t) => t.gridPoint),
        [points[0].id, points[2].id],
      );
      assert.ok(waiting.every((t) => t.startedAt === null && t.systemAttrs.worker === undefined));
    });

    it('deletes one study with all its trials; the other study and its trials stay', async () => {
      const { storage } = await fresh();
      const a = await storage.openStudy('a', { k: 1 });
      const b = await storage.openStudy('b', { k: 2 });
      await storage.enqueuePoints(a.id, makePoints(3), DISTRIBUTIONS);
      await storage.enqueuePoints(b.id, makePoints(2), DISTRIBUTIONS);
      const t = (await storage.claimTrial(a.id, 'w'))!;
      await storage.setIntermediateValue(t.id, 1, 0.5);
      await storage.setUserAttrs(t.id, { x: 1 });
      await storage.finishTrial(t.id, TrialState.COMPLETE, 0.5);
      await storage.deleteStudy(a.id);
      assert.equal(await storage.getStudy('a'), null);
      assert.deepEqual(
        (await storage.listStudies()).map((x) => x.name),
        ['b'],
      );
      assert.equal((await storage.getTrials(b.id)).length, 2);
      assert.deepEqual((await storage.getStudy('b'))!.systemAttrs, { k: 2 });
      await assert.rejects(async () => await storage.deleteStudy(a.id), StorageError);
      // A study of the same name starts afresh.
      const again = await storage.openStudy('a', {});
      assert.equal((await storage.getTrials(again.id)).length, 0);
    });

    it('finishes trials with values, including infinities, and guards every transition', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(6), DISTRIBUTIONS);
      const waiting = (await storage.getTrials(s.id))[5];
      const claimed: FrozenTrial[] = [];
      for (let i = 0; i < 4; i++) claimed.push((await storage.claimTrial(s.id, 'w'))!);
      const [a, b, c, d] = claimed;

      await storage.finishTrial(a.id, TrialState.COMPLETE, 0.875);
      const done = await storage.getTrial(a.id);
      assert.equal(done.state, TrialState.COMPLETE);
      assert.equal(done.value, 0.875);
      assert.ok(done.completedAt && done.startedAt && done.completedAt >= done.startedAt);

      await storage.finishTrial(b.id, TrialState.COMPLETE, -Infinity);
      assert.equal((await storage.getTrial(b.id)).value, -Infinity);
      await storage.finishTrial(c.id, TrialState.PRUNED);
      assert.equal((await storage.getTrial(c.id)).value, null);

      // Illegal transitions: the finished trial is left untouched.
      await assert.rejects(async () => await storage.finishTrial(a.id, TrialState.COMPLETE, 0.1), TrialStateError);
      await assert.rejects(async () => await storage.finishTrial(a.id, TrialState.FAIL), TrialStateError);
      await assert.rejects(async () => await storage.requeueTrial(a.id), TrialStateError);
      assert.equal((await storage.getTrial(a.id)).value, 0.875);
      assert.equal((await storage.getTrial(a.id)).state, TrialState.COMPLETE);
      await assert.rejects(
        async () => await storage.finishTrial(waiting.id, TrialState.COMPLETE, 0.5),
        TrialStateError,
      );
      await assert.rejects(async () => await storage.requeueTrial(waiting.id), TrialStateError);
      assert.equal((await storage.getTrial(waiting.id)).state, TrialState.WAITING);

      // Values that do not fit the state.
      await assert.rejects(async () => await storage.finishTrial(d.id, TrialState.COMPLETE), StorageError);
      await assert.rejects(async () => await storage.finishTrial(d.id, TrialState.COMPLETE, NaN), StorageError);
      await assert.rejects(async () => await storage.finishTrial(d.id, TrialState.FAIL, 0.5), StorageError);
      await assert.rejects(async () => await storage.finishTrial(d.id, TrialState.RUNNING), StorageError);
      assert.equal((await storage.getTrial(d.id)).state, TrialState.RUNNING);
      await storage.finishTrial(d.id, TrialState.FAIL);
      assert.equal((await storage.getTrial(d.id)).value, null);

      // Writes to a finished trial are refused.
      await assert.rejects(async () => await storage.setIntermediateValue(a.id, 3, 0.5), TrialFinishedError);
      await assert.rejects(async () => await storage.setUserAttrs(d.id, { late: true }), TrialFinishedError);
      await assert.rejects(async () => await storage.setSystemAttrs(a.id, { late: true }), TrialFinishedError);
      assert.deepEqual((await storage.getTrial(d.id)).userAttrs, {});

      // Unknown ids.
      await assert.rejects(async () => await storage.getTrial(99_999), StorageError);
      await assert.rejects(async () => await storage.finishTrial(99_999, TrialState.FAIL), StorageError);
      await assert.rejects(async () => await storage.heartbeat(99_999), StorageError);
      await assert.rejects(async () => await storage.enqueuePoints(99_999, makePoints(1), DISTRIBUTIONS), StorageError);
      assert.deepEqual(await storage.countTrials(s.id), { 0: 0, 1: 2, 2: 1, 3: 1, 4: 2 });
    });

    it('requeues an interrupted trial: WAITING again, start and partial curve cleared, claimed first', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(3), DISTRIBUTIONS);
      const t = (await storage.claimTrial(s.id, 'w'))!;
      await storage.setIntermediateValue(t.id, 1, 0.5);
      await storage.requeueTrial(t.id);
      const back = await storage.getTrial(t.id);
      assert.equal(back.state, TrialState.WAITING);
      assert.equal(back.startedAt, null);
      assert.equal(back.intermediate.size, 0);
      assert.equal((await storage.getTrials(s.id)).length, 3, 'no new trial: the same one waits again');
      // Lowest number, so it is the next one claimed.
      assert.equal((await storage.claimTrial(s.id, 'w2'))?.id, t.id);
      assert.equal((await storage.getTrial(t.id)).systemAttrs.worker, 'w2');
    });

    it('stores intermediate values per step, including NaN and infinities, overwriting a repeated step', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(1), DISTRIBUTIONS);
      const t = (await storage.claimTrial(s.id, 'w'))!;
      const steps: [number, number][] = [
        [3, Infinity],
        [1, 0.5],
        [2, NaN],
        [4, -Infinity],
        [5, 0.625],
      ];
      for (const [step, v] of steps) await storage.setIntermediateValue(t.id, step, v);
      await storage.setIntermediateValue(t.id, 5, 0.75);
      const got = (await storage.getTrial(t.id)).intermediate;
      assert.ok(got instanceof Map);
      assert.deepEqual([...got.keys()], [1, 2, 3, 4, 5]);
      assert.equal(got.get(1), 0.5);
      assert.ok(Number.isNaN(got.get(2)));
      assert.equal(got.get(3), Infinity);
      assert.equal(got.get(4), -Infinity);
      assert.equal(got.get(5), 0.75);
      await assert.rejects(async () => await storage.setIntermediateValue(t.id, 1.5, 0.1), StorageError);
      await assert.rejects(async () => await storage.setIntermediateValue(t.id, -1, 0.1), StorageError);
      // The bulk read path (getTrials) agrees with the single read.
      const bulk = (await storage.getTrials(s.id))[0].intermediate;
      assert.deepEqual([...bulk.entries()], [...got.entries()]);
    });

    it('getTrialCurves: the curves of the trials in the given states, as getTrials has them, without attributes', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      const other = await storage.openStudy('other', {});
      await storage.enqueuePoints(s.id, makePoints(4), DISTRIBUTIONS);
      await storage.enqueuePoints(other.id, makePoints(1), DISTRIBUTIONS);
      const a = (await storage.claimTrial(s.id, 'w'))!;
      const b = (await storage.claimTrial(s.id, 'w'))!;
      const c = (await storage.claimTrial(s.id, 'w'))!;
      const o = (await storage.claimTrial(other.id, 'w'))!;
      await storage.setIntermediateValue(a.id, 2, 0.75);
      await storage.setIntermediateValue(a.id, 1, NaN);
      await storage.setIntermediateValue(b.id, 1, 0.5);
      await storage.setIntermediateValue(o.id, 1, 0.9);
      await storage.setUserAttrs(a.id, { loss_history: [{ epoch: 1, total: 1 }] });
      await storage.finishTrial(b.id, TrialState.COMPLETE, 0.5);
      await storage.finishTrial(c.id, TrialState.FAIL, null);

      const curves = await storage.getTrialCurves(s.id, [TrialState.RUNNING, TrialState.COMPLETE]);
      // RUNNING a and COMPLETE b, by number; not the FAIL, the WAITING or the other study's trial.
      assert.deepEqual(
        curves.map((t) => [t.id, t.number, t.state]),
        [
          [a.id, a.number, TrialState.RUNNING],
          [b.id, b.number, TrialState.COMPLETE],
        ],
      );
      const full = new Map((await storage.getTrials(s.id)).map((t) => [t.id, t]));
      for (const t of curves) {
        assert.deepEqual(t.params, full.get(t.id)!.params);
        assert.deepEqual([...t.intermediate.entries()], [...full.get(t.id)!.intermediate.entries()]);
        assert.ok(Object.isFrozen(t) && Object.isFrozen(t.params));
        assert.equal('userAttrs' in t, false, 'no attributes are read');
      }
      assert.deepEqual([...curves[0]!.intermediate.keys()], [1, 2]);
      assert.ok(Number.isNaN(curves[0]!.intermediate.get(1)));
      assert.deepEqual(await storage.getTrialCurves(s.id, [TrialState.PRUNED]), []);
    });

    it('atomically: several writes commit together, or none of them when one throws', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(2), DISTRIBUTIONS);
      const t = (await storage.claimTrial(s.id, 'w'))!;
      await assert.rejects(
        async () =>
          await storage.atomically(async (tx) => {
            await tx.setUserAttrs(t.id, { auroc: 0.9 });
            await tx.finishTrial(t.id, TrialState.COMPLETE, 0.9);
            throw new Error('crash between the writes');
          }),
        /crash between the writes/,
      );
      const after = await storage.getTrial(t.id);
      assert.equal(after.state, TrialState.RUNNING);
      assert.equal(after.userAttrs.auroc, undefined);
      const result = await storage.atomically(async (tx) => {
        await tx.setIntermediateValue(t.id, 1, 0.8);
        await tx.setUserAttrs(t.id, { auroc: 0.8 });
        await tx.finishTrial(t.id, TrialState.COMPLETE, 0.8);
        return 'done';
      });
      assert.equal(result, 'done');
      const done = await storage.getTrial(t.id);
      assert.equal(done.state, TrialState.COMPLETE);
      assert.equal(done.userAttrs.auroc, 0.8);
      assert.equal(done.intermediate.get(1), 0.8);
    });

    it('atomically: other callers never see its writes before it commits; tx calls run inside it; a nested atomically joins it', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(2), DISTRIBUTIONS);
      const t = (await storage.claimTrial(s.id, 'w'))!;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // The event the outside read waits for: the transaction's own first write is done (a round trip on a server).
      let wrote!: () => void;
      const written = new Promise<void>((r) => (wrote = r));
      const order: string[] = [];
      const outer = storage.atomically(async (tx) => {
        await tx.setUserAttrs(t.id, { step: 1 });
        order.push('tx wrote');
        wrote();
        await held; // the transaction stays open while fn awaits something else
        const inner = await tx.atomically(async (tx2) => {
          await tx2.setUserAttrs(t.id, { step: 2 });
          return 'inner';
        });
        order.push(`nested ${inner}`);
        return 'outer';
      });
      let seen: unknown = 'unread';
      let outside: Promise<void> = Promise.resolve();
      try {
        await Promise.race([written, outer]); // a first write that fails ends the wait too
        // An outside read while the transaction is open and holds step 1:
        // SQLite makes it wait for the commit, PostgreSQL answers from the
        // committed state; neither may ever show the transaction's own write.
        outside = storage.getTrial(t.id).then((tr) => {
          seen = tr.userAttrs.step;
        });
        // A full turn of the event loop: a read that wrongly ran inside the
        // open transaction has run by now on SQLite. A server needs no wait:
        // `seen` is set whenever it answers, and a read queued on the
        // transaction's own connection would still answer step 1 (a connection
        // runs its commands in order).
        await new Promise<void>((r) => setImmediate(r));
        assert.deepEqual(order, ['tx wrote']);
      } finally {
        // Also when an assertion failed: the transaction ends, so the test fails instead of hanging on it.
        release();
      }
      assert.equal(await outer, 'outer');
      await outside;
      assert.deepEqual(order, ['tx wrote', 'nested inner']);
      assert.ok(
        seen === undefined || seen === 2,
        `an outside read saw step ${String(seen)}: the open transaction's own write`,
      );
      assert.equal((await storage.getTrial(t.id)).userAttrs.step, 2);

      // A throw after a nested atomically rolls back the nested writes too.
      await assert.rejects(
        storage.atomically(async (tx) => {
          await tx.atomically(async (tx2) => tx2.setUserAttrs(t.id, { step: 3 }));
          throw new Error('after the nested one');
        }),
        /after the nested one/,
      );
      assert.equal((await storage.getTrial(t.id)).userAttrs.step, 2);
      // Two transactions asked for at once run one after the other, both committed.
      await Promise.all([
        storage.atomically(async (tx) => tx.setUserAttrs(t.id, { a: 1 })),
        storage.atomically(async (tx) => tx.setUserAttrs(t.id, { b: 2 })),
      ]);
      const got = await storage.getTrial(t.id);
      assert.deepEqual([got.userAttrs.a, got.userAttrs.b], [1, 2]);
    });

    it('importTrial adds a trial exactly as given, numbered next, its params decoded with the given choices', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('copy', {});
      const [p0, p1] = makePoints(2);
      await storage.enqueuePoints(s.id, [p0], DISTRIBUTIONS);
      const startedAt = new Date('2025-03-04T05:06:07.123Z');
      const completedAt = new Date('2025-03-04T06:07:08.456Z');
      const id = await storage.importTrial(s.id, {
        state: TrialState.COMPLETE,
        value: 0.875,
        params: p1.params,
        distributions: DISTRIBUTIONS,
        intermediate: new Map([
          [1, 0.5],
          [2, NaN],
          [3, 0.875],
        ]),
        userAttrs: { auroc: { svdd: 0.875 }, note: 'ünï' },
        systemAttrs: { grid_point: p1.id, worker: 'elsewhere:1' },
        startedAt,
        completedAt,
      });
      const t = await storage.getTrial(id);
      assert.equal(t.number, 1);
      assert.equal(t.state, TrialState.COMPLETE);
      assert.equal(t.value, 0.875);
      assert.equal(t.gridPoint, p1.id);
      assert.deepEqual({ ...t.params }, { ...p1.params });
      assert.deepEqual([...t.intermediate.keys()], [1, 2, 3]);
      assert.ok(Number.isNaN(t.intermediate.get(2)));
      assert.deepEqual(t.userAttrs, { auroc: { svdd: 0.875 }, note: 'ünï' });
      assert.equal(t.systemAttrs.worker, 'elsewhere:1');
      assert.equal(t.startedAt?.getTime(), startedAt.getTime());
      assert.equal(t.completedAt?.getTime(), completedAt.getTime());
      // The imported point counts as done: enqueueing the grid adds nothing for it.
      assert.deepEqual(await storage.enqueuePoints(s.id, [p0, p1], DISTRIBUTIONS), { added: 0, present: 2 });
      // A WAITING import is claimable like any queued point.
      const p2 = makePoints(3)[2];
      const waitingId = await storage.importTrial(s.id, {
        state: TrialState.WAITING,
        value: null,
        params: p2.params,
        distributions: DISTRIBUTIONS,
        intermediate: new Map(),
        userAttrs: {},
        systemAttrs: { grid_point: p2.id },
        startedAt: null,
        completedAt: null,
      });
      assert.equal((await storage.claimTrial(s.id, 'w'))?.gridPoint, p0.id, 'the oldest waiting point first');
      assert.equal((await storage.claimTrial(s.id, 'w'))?.id, waitingId);
      // A RUNNING trial has no worker here; a param without choices cannot be encoded.
      const base = {
        value: null,
        params: p2.params,
        distributions: DISTRIBUTIONS,
        intermediate: new Map<number, number>(),
        userAttrs: {},
        systemAttrs: {},
        startedAt: null,
        completedAt: null,
      };
      await assert.rejects(storage.importTrial(s.id, { ...base, state: TrialState.RUNNING }), StorageError);
      await assert.rejects(
        storage.importTrial(s.id, { ...base, state: TrialState.FAIL, distributions: {} }),
        StorageError,
      );
      await assert.rejects(storage.importTrial(s.id + 1000, { ...base, state: TrialState.FAIL }), StorageError);
    });

    it('round-trips user and system attrs as JSON, NaN and non-ASCII included', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(1), DISTRIBUTIONS);
      const t = (await storage.claimTrial(s.id, 'w'))!;
      const attrs = {
        losses: { total: [0.5, NaN, Infinity], svdd: [-Infinity] },
        note: 'λ_KL "quoted" NaN \n ünï',
        flag: true,
        nothing: null,
        count: 3,
      };
      await storage.setUserAttrs(t.id, attrs);
      await storage.setUserAttrs(t.id, { count: 4 });
      await storage.setSystemAttrs(t.id, { cache: 'hit' });
      const got = await storage.getTrial(t.id);
      assert.deepEqual(got.userAttrs, { ...attrs, count: 4 });
      assert.equal(got.systemAttrs.cache, 'hit');
      assert.equal(got.systemAttrs.grid_point, t.gridPoint);
    });

    it('returns frozen snapshots that later writes do not change', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', { space: { a: [1, 2] } });
      await storage.enqueuePoints(s.id, makePoints(40), DISTRIBUTIONS);
      const t = (await storage.claimTrial(s.id, 'w'))!;
      await storage.setIntermediateValue(t.id, 1, 0.5);
      await storage.setUserAttrs(t.id, { nested: { list: [1, 2] } });
      for (const snap of [await storage.getTrial(t.id), (await storage.getTrials(s.id))[0]]) {
        assert.ok(Object.isFrozen(snap));
        assert.ok(Object.isFrozen(snap.params));
        assert.ok(Object.isFrozen(snap.userAttrs));
        assert.ok(Object.isFrozen((snap.userAttrs.nested as { list: number[] }).list));
        assert.throws(() => {
          (snap as { state: number }).state = TrialState.COMPLETE;
        }, TypeError);
        assert.throws(() => {
          (snap.params as Record<string, unknown>).model = 'VAE';
        }, TypeError);
        assert.throws(() => (snap.intermediate as Map<number, number>).set(2, 1), TypeError);
        assert.throws(() => (snap.intermediate as Map<number, number>).delete(1), TypeError);
      }
      assert.ok(Object.isFrozen((await storage.getStudy('s'))!.systemAttrs));
      assert.ok(Object.isFrozen(await storage.countTrials(s.id)));
      const snap = await storage.getTrial(t.id);
      await storage.setIntermediateValue(t.id, 2, 0.6);
      await storage.finishTrial(t.id, TrialState.COMPLETE, 0.6);
      assert.equal(snap.state, TrialState.RUNNING);
      assert.equal(snap.intermediate.size, 1);
      assert.equal((await storage.getTrial(t.id)).intermediate.size, 2);
    });

    it('filters getTrials by state on both the few-trials and the whole-study read paths', async () => {
      const { storage } = await fresh();
      const s = await storage.openStudy('s', {});
      await storage.enqueuePoints(s.id, makePoints(80), DISTRIBUTIONS);
      for (let i = 0; i < 5; i++) await storage.claimTrial(s.id, 'w');
      const running = await storage.getTrials(s.id, [TrialState.RUNNING]);
      assert.deepEqual(
        running.map((t) => t.number),
        [0, 1, 2, 3, 4],
      );
      const waiting = await storage.getTrials(s.id, [TrialState.WAITING]);
      assert.equal(waiting.length, 75);
      assert.ok(waiting.every((t) => t.state === TrialState.WAITING && Object.keys(t.params).length >= 5));
      assert.equal((await storage.getTrials(s.id, [TrialState.RUNNING, TrialState.WAITING])).length, 80);
      assert.equal((await storage.getTrials(s.id, [])).length, 0);
    });

    it('fails RUNNING trials with a stale heartbeat and re-queues their points', async () => {
      const db = await fresh();
      const { storage } = db;
      const s = await storage.openStudy('s', {});
      const points = makePoints(3);
      await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
      const dead = (await storage.claimTrial(s.id, 'dead'))!;
      const alive = (await storage.claimTrial(s.id, 'alive'))!;
      await storage.setIntermediateValue(dead.id, 1, 0.3);
      assert.deepEqual(await storage.failStaleTrials(s.id, 0.2), [], 'fresh heartbeats are not stale');
      await db.advanceClock(0.35);
      // Read after the clock moved: a server backend moves stored stamps back instead of its clock forward.
      const before = (await storage.getTrial(alive.id)).heartbeatAt!;
      await storage.heartbeat(alive.id);
      const beat = (await storage.getTrial(alive.id)).heartbeatAt!;
      assert.ok(beat.getTime() - before.getTime() >= 300, 'heartbeat moved forward');
      assert.deepEqual(await storage.failStaleTrials(s.id, 0.2), [dead.id]);

      const failed = await storage.getTrial(dead.id);
      assert.equal(failed.state, TrialState.FAIL);
      assert.match(String(failed.userAttrs.error), /stale heartbeat.*process died\?/);
      assert.ok(failed.completedAt);
      assert.equal(failed.intermediate.get(1), 0.3, 'what the dead trial reported is kept');
      assert.equal((await storage.getTrial(alive.id)).state, TrialState.RUNNING);

      const again = (await storage.getTrials(s.id, [TrialState.WAITING])).filter((t) => t.gridPoint === points[0].id);
      assert.equal(again.length, 1, 'the dead trial’s point waits again');
      assert.equal(again[0].number, 3);
      assert.deepEqual({ ...again[0].params }, { ...points[0].params });
      assert.deepEqual(await storage.failStaleTrials(s.id, 0.2), [], 'already handled');
      // The re-queued point is not enqueued twice.
      assert.deepEqual(await storage.enqueuePoints(s.id, points, DISTRIBUTIONS), { added: 0, present: 3 });
      // A late heartbeat of the failed trial changes nothing.
      const hb = (await storage.getTrial(dead.id)).heartbeatAt;
      await storage.heartbeat(dead.id);
      assert.deepEqual((await storage.getTrial(dead.id)).heartbeatAt, hb);
      assert.equal((await storage.getTrial(dead.id)).state, TrialState.FAIL);
    });

    it('two processes claiming from one database claim every trial exactly once', async () => {
      const db = await fresh();
      const { storage } = db;
      const s = await storage.openStudy('race', {});
      const N = 1500;
      await storage.enqueuePoints(s.id, makePoints(N), DISTRIBUTIONS);
      const children = ['w1', 'w2'].map((w) => startChild(['claim', opts.childBackend, db.address, 'race', w]));
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.go();
      const reports = await Promise.all(children.map((c) => c.report));
      const exits = await Promise.all(children.map((c) => c.exit));
      for (const e of exits) assert.equal(e.code, 0, e.stderr);

      const claimed = reports.map((r) => r.claimed as number[]);
      const all = claimed.flat();
      assert.equal(all.length, N, `claims: ${claimed.map((c) => c.length).join(' + ')}`);
      assert.equal(new Set(all).size, N, 'no trial claimed twice');
      // Both really ran at once: each got a share.
      assert.ok(
        claimed.every((c) => c.length > 0),
        `one child claimed everything (${claimed.map((c) => c.length).join(' + ')})`,
      );
      const trials = await storage.getTrials(s.id);
      assert.ok(trials.every((t) => t.state === TrialState.COMPLETE));
      const byWorker = new Map(reports.map((r) => [r.worker as string, new Set(r.claimed as number[])]));
      for (const t of trials) {
        assert.ok(
          byWorker.get(t.systemAttrs.worker as string)?.has(t.id),
          `trial ${t.id} worker attr matches its claimer`,
        );
        assert.equal(t.value, t.number / 1000);
      }
    });

    it('recovers a trial whose process was SIGKILLed mid-trial, keeping what it wrote', async () => {
      const db = await fresh();
      const { storage } = db;
      const s = await storage.openStudy('kill', {});
      await storage.enqueuePoints(s.id, makePoints(2), DISTRIBUTIONS);
      const child = startChild(['hang', opts.childBackend, db.address, 'kill', 'doomed']);
      await child.ready;
      child.go();
      const { trialId } = (await child.report) as { trialId: number };
      child.proc.kill('SIGKILL');
      const exit = await child.exit;
      assert.equal(exit.signal, 'SIGKILL');

      const orphan = await storage.getTrial(trialId);
      assert.equal(orphan.state, TrialState.RUNNING);
      assert.equal(orphan.intermediate.get(1), 0.25, 'commits before SIGKILL are durable');
      assert.equal(orphan.userAttrs.epoch, 1);
      // The child stamped its heartbeat with the real clock: an hour on, it is stale by any reckoning.
      await db.advanceClock(3600);
      assert.deepEqual(await storage.failStaleTrials(s.id, 0.2), [trialId]);
      assert.equal((await storage.getTrial(trialId)).state, TrialState.FAIL);
      assert.deepEqual(await storage.countTrials(s.id), { 0: 0, 1: 0, 2: 0, 3: 1, 4: 2 });
      // The point runs again here.
      const rerun = (await storage.getTrials(s.id, [TrialState.WAITING])).find((t) => t.gridPoint === orphan.gridPoint);
      assert.ok(rerun);
      assert.equal((await storage.claimTrial(s.id, 'survivor'))?.number, 1);
      assert.equal((await storage.claimTrial(s.id, 'survivor'))?.id, rerun.id);
    });
  });
}
