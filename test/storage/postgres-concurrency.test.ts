// Many claimers on one PostgreSQL study, and connections that drop: each trial
// is claimed once (SKIP LOCKED), and a claim or finish whose connection drops,
// even between the server's commit and its reply, is neither lost nor done
// twice. Real server, real sockets: the proxy cuts a connection at COMMIT, the
// restart test stops the server under running workers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import type { Storage } from '../../src/storage/storage.js';
import { TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints } from './helpers.js';
import { startPgProxy, type PgProxy } from './pg-proxy.js';
import { startPgServer, type PgServer } from './pg-server.js';

/** Claims and finishes until none waits; returns the trial ids it claimed. */
async function work(storage: Storage, studyId: number, worker: string, after?: () => Promise<void>): Promise<number[]> {
  const mine: number[] = [];
  for (;;) {
    const t = await storage.claimTrial(studyId, worker);
    if (!t) return mine;
    mine.push(t.id);
    await storage.setIntermediateValue(t.id, 1, t.number / 2000);
    await storage.atomically(async (tx) => {
      await tx.setUserAttrs(t.id, { by: worker });
      await tx.finishTrial(t.id, TrialState.COMPLETE, t.number / 1000);
    });
    await after?.();
  }
}

describe('PostgreSQL storage: concurrent claimers and dropped connections', () => {
  let server: PgServer;
  const opened: Storage[] = [];
  before(async () => {
    server = await startPgServer();
  });
  after(async () => {
    for (const s of opened) await s.close().catch(() => {});
    await server?.stop();
  });
  const open = async (url: string, retries = 8) => {
    let retried = 0;
    const s = await openPostgresStorage(url, { retries, retryBaseMs: 50, onRetry: () => retried++ });
    opened.push(s);
    return { s, retried: () => retried };
  };

  it('4 pools with 3 claimers each take 200 trials: every trial exactly once, each finished by its claimer', async () => {
    const url = server.url(await server.freshDatabase());
    const { s: first } = await open(url);
    const study = await first.openStudy('race', {});
    await first.enqueuePoints(study.id, makePoints(200), DISTRIBUTIONS);
    const pools = [first, ...(await Promise.all([1, 2, 3].map(async () => (await open(url)).s)))];
    const jobs = pools.flatMap((p, i) =>
      [0, 1, 2].map((j) => work(p, study.id, `host${i}:${j}`).then((ids) => ({ worker: `host${i}:${j}`, ids }))),
    );
    const results = await Promise.all(jobs);
    const all = results.flatMap((r) => r.ids);
    assert.equal(all.length, 200, `claims: ${results.map((r) => r.ids.length).join(' + ')}`);
    assert.equal(new Set(all).size, 200, 'no trial claimed twice');
    assert.ok(
      results.filter((r) => r.ids.length > 0).length >= 4,
      `the claims were shared: ${results.map((r) => r.ids.length).join(' + ')}`,
    );
    const trials = await first.getTrials(study.id);
    const claimer = new Map(results.flatMap((r) => r.ids.map((id) => [id, r.worker] as const)));
    for (const t of trials) {
      assert.equal(t.state, TrialState.COMPLETE);
      assert.equal(t.value, t.number / 1000);
      assert.equal(t.systemAttrs.worker, claimer.get(t.id));
      assert.equal(t.userAttrs.by, claimer.get(t.id));
    }
  });

  it('a claim whose connection is cut before COMMIT is retried; one cut after COMMIT returns the committed claim', async () => {
    const db = await server.freshDatabase();
    const proxy: PgProxy = await startPgProxy(server.port);
    try {
      const url = server.url(db).replace(`:${server.port}/`, `:${proxy.port}/`);
      const { s, retried } = await open(url);
      const study = await s.openStudy('cut', {});
      await s.enqueuePoints(study.id, makePoints(4), DISTRIBUTIONS);

      // Cut before the server saw COMMIT: the transaction aborted, the claim runs again and takes trial 0 once.
      const cut1 = proxy.arm('before-commit');
      const a = (await s.claimTrial(study.id, 'w:a'))!;
      await cut1;
      assert.equal(a.number, 0);
      assert.ok(retried() >= 1, 'the claim ran again');

      // Cut after the server committed, before the reply: the storage asks the server and returns that claim.
      const cut2 = proxy.arm('after-commit');
      const b = (await s.claimTrial(study.id, 'w:b'))!;
      await cut2;
      assert.equal(b.number, 1, 'the committed claim, not a second one');
      assert.equal(b.state, TrialState.RUNNING);
      assert.deepEqual(
        await s.countTrials(study.id),
        { 0: 2, 1: 0, 2: 0, 3: 0, 4: 2 },
        'exactly two RUNNING: none orphaned',
      );

      // A finish whose reply is lost is not finished twice (a second finish would be COMPLETE -> COMPLETE).
      const cut3 = proxy.arm('after-commit');
      await s.finishTrial(b.id, TrialState.COMPLETE, 0.5);
      await cut3;
      const done = await s.getTrial(b.id);
      assert.equal(done.state, TrialState.COMPLETE);
      assert.equal(done.value, 0.5);
      // And one cut before COMMIT is simply done again.
      const cut4 = proxy.arm('before-commit');
      await s.finishTrial(a.id, TrialState.PRUNED, 0.25);
      await cut4;
      assert.equal((await s.getTrial(a.id)).state, TrialState.PRUNED);
      // An atomically whose reply is lost: committed once.
      const c = (await s.claimTrial(study.id, 'w:c'))!;
      const cut5 = proxy.arm('after-commit');
      await s.atomically(async (tx) => {
        await tx.setUserAttrs(c.id, { n: 1 });
        await tx.finishTrial(c.id, TrialState.COMPLETE, 0.75);
      });
      await cut5;
      assert.equal((await s.getTrial(c.id)).state, TrialState.COMPLETE);
      // An atomically cut before COMMIT runs again as a whole, on a new connection.
      const d = (await s.claimTrial(study.id, 'w:d'))!;
      const cut6 = proxy.arm('before-commit');
      let runs = 0;
      await s.atomically(async (tx) => {
        runs++;
        await tx.setUserAttrs(d.id, { runs });
        await tx.finishTrial(d.id, TrialState.COMPLETE, 0.875);
      });
      await cut6;
      assert.equal(runs, 2, 'the aborted transaction ran again');
      const dd = await s.getTrial(d.id);
      assert.equal(dd.state, TrialState.COMPLETE);
      assert.equal(dd.userAttrs.runs, 2, 'only the committed run left its writes');
      assert.equal(proxy.cuts, 6);
      assert.deepEqual(await s.countTrials(study.id), { 0: 0, 1: 3, 2: 1, 3: 0, 4: 0 });
    } finally {
      await proxy.close();
    }
  });

  it('a server restarted under 3 running workers: they reconnect and go on; no trial lost or duplicated', async () => {
    const url = server.url(await server.freshDatabase());
    const workers = await Promise.all([0, 1, 2].map(() => open(url, 12)));
    const study = await workers[0].s.openStudy('restart', {});
    const N = 90;
    await workers[0].s.enqueuePoints(study.id, makePoints(N), DISTRIBUTIONS);
    let finished = 0;
    let restart: Promise<void> | null = null;
    // After a third of the trials, restart the server while the workers keep going.
    const onFinish = async () => {
      finished++;
      if (finished === N / 3 && restart === null) restart = server.restart();
    };
    const results = await Promise.all(workers.map((w, i) => work(w.s, study.id, `h${i}:1`, onFinish)));
    await (restart as Promise<void> | null);
    assert.ok(restart !== null, 'the server was restarted mid-sweep');
    const retries = workers.reduce((n, w) => n + w.retried(), 0);
    assert.ok(retries > 0, 'the workers met the dropped connections and retried');
    const all = results.flat();
    assert.equal(new Set(all).size, all.length, 'no trial claimed twice');
    const trials = await workers[0].s.getTrials(study.id);
    assert.equal(trials.length, N, 'no trial added');
    assert.deepEqual(
      await workers[0].s.countTrials(study.id),
      { 0: 0, 1: N, 2: 0, 3: 0, 4: 0 },
      'every trial COMPLETE, none left RUNNING',
    );
    assert.equal(all.length, N);
  });
});
