// Pretraining shared between hosts through the storage (sharePretraining):
// "hosts" are schedulers with their own owner id, their own storage connection,
// their own worker threads and their own local cache folder, on one real
// SQLite study; the trials are real (tiny) trainings by the real worker.
// Lease expiry runs on a test clock that the test moves: no sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Study } from '../../src/study/schema.js';
import { expandGrid, searchSpace } from '../../src/grid/expand.js';
import Database from 'better-sqlite3';
import { openSqliteStorage, type ArtifactStore, type FrozenTrial, type Storage } from '../../src/storage/index.js';
import { createPiscinaRunner } from '../../src/pool/runner.js';
import { runSweep, type SweepSummary } from '../../src/scheduler/scheduler.js';
import { PRETRAIN_ARTIFACT_PREFIX } from '../../src/scheduler/pretrain-share.js';
import { taskMaker } from '../../src/cli/commands/start/task.js';
import { expectedInputShape } from '../../src/data/load.js';
import { checkPretrainEntry, trialPretrainKey } from '../../src/training/pretrain-cache.js';
import { TrialState } from '../../src/trial/state.js';

const workerFile = new URL('../../src/worker/train-worker.ts', import.meta.url);
const T0 = Date.UTC(2026, 0, 1);

function studyOf(grid: Record<string, unknown>) {
  return Study.parse({
    name: 'share',
    dataset: { name: 'synthetic', trainSize: 48, testSize: 32 },
    grid: { model: ['IAE-LSTM-KL'], ...grid },
    training: { pretrainEpochs: 1, jointEpochs: 1, batchSize: 16, warmupEpochs: 0 },
    arch: { channels: [4, 8, 8], latent: 16 },
  });
}

/** One study file, and a clock for its leases that the test moves. */
async function world(grid: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'share-'));
  const db = join(dir, 'study.sqlite3');
  const clock = { now: T0 };
  const study = studyOf(grid);
  const first = openSqliteStorage(db, { clock: () => clock.now });
  const { id } = await first.openStudy('share', {});
  const distributions = searchSpace(study.grid);
  await first.enqueuePoints(id, expandGrid(study.grid), distributions);
  const input = expectedInputShape('synthetic')!;
  const keyOf = (t: FrozenTrial) => trialPretrainKey(taskMaker(study, 'wasm', '/unused')(t), input)?.key ?? null;
  return { dir, db, clock, study, id, distributions, first, keyOf };
}

type World = Awaited<ReturnType<typeof world>>;

/** A host: its own connection, worker thread and cache folder; runs the study until nothing is left for it. */
async function host(
  w: World,
  name: string,
  opts: {
    note?: (m: string) => void;
    wrap?: (s: Storage) => Storage;
    threads?: number;
    stopAtFirstPretrainEpoch?: boolean;
  } = {},
): Promise<{ summary: SweepSummary; cacheDir: string }> {
  const opened = openSqliteStorage(w.db, { clock: () => w.clock.now });
  const storage = opts.wrap ? opts.wrap(opened) : opened;
  const runner = createPiscinaRunner({ workerFile, threads: opts.threads ?? 1 });
  const cacheDir = join(w.dir, `cache-${name}`);
  const stop = new AbortController();
  try {
    const summary = await runSweep({
      storage,
      studyId: w.id,
      runner,
      makeTask: taskMaker(w.study, 'wasm', cacheDir),
      objective: w.study.objective,
      distributions: w.distributions,
      signal: stop.signal,
      heartbeatMs: 50,
      owner: `${name}:${process.pid}`,
      shareKey: w.keyOf,
      sharePretraining: true,
      leaseSeconds: 60,
      events: {
        note: (m) => opts.note?.(m),
        progress: (_t, p) => {
          if (opts.stopAtFirstPretrainEpoch && p.type === 'epoch' && p.phase === 'pretrain') stop.abort();
        },
      },
    });
    return { summary, cacheDir };
  } finally {
    await runner.close();
    await opened.close();
  }
}

/** The same storage, its artifact store's writes logged (the calls go to the real store). */
function logArtifactWrites(storage: Storage, log: string[]): Storage {
  const real = storage.artifacts!;
  const artifacts: ArtifactStore = {
    getArtifact: (k) => real.getArtifact(k),
    putArtifact: (k, b) => (log.push(`put ${k}`), real.putArtifact(k, b)),
    acquireLease: (k, h, s) => (log.push(`lease ${k}`), real.acquireLease(k, h, s)),
    releaseLease: (k, h) => (log.push(`release ${k}`), real.releaseLease(k, h)),
  };
  return new Proxy(storage, {
    get(target, prop) {
      if (prop === 'artifacts') return artifacts;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Per pretraining key: how many trials pretrained it (miss) and how many took it from a cache (hit). */
function cacheUse(trials: readonly FrozenTrial[], keyOf: (t: FrozenTrial) => string | null) {
  const out = new Map<string, { miss: number; hit: number; hosts: Set<string> }>();
  for (const t of trials) {
    const key = keyOf(t)!;
    // The worker recorded the key it used: the same as the main thread's.
    assert.equal(t.userAttrs.pretrain_cache_key, key, `trial ${t.number}`);
    const use = out.get(key) ?? { miss: 0, hit: 0, hosts: new Set<string>() };
    const status = String(t.userAttrs.pretrain_cache);
    assert.ok(status === 'miss' || status === 'hit', `trial ${t.number}: pretrain_cache ${status}`);
    use[status as 'miss' | 'hit']++;
    use.hosts.add(String(t.systemAttrs.worker).split(':')[0]!);
    out.set(key, use);
  }
  return out;
}

test(
  'two hosts of two workers each on one study pretrain each class once; a third host with an empty cache pretrains nothing',
  { timeout: 300_000 },
  async () => {
    const w = await world({ normalClass: [0, 1], lambdaKl: [0.1, 1, 3] });
    try {
      // Two workers per host: a host's second trial of a class is held while its first builds (or waits for the other host).
      const [a, b] = await Promise.all([host(w, 'hostA', { threads: 2 }), host(w, 'hostB', { threads: 2 })]);
      assert.equal(a.summary.completed + b.summary.completed, 6);
      let trials = await w.first.getTrials(w.id);
      assert.ok(trials.every((t) => t.state === TrialState.COMPLETE));
      let use = cacheUse(trials, w.keyOf);
      assert.equal(use.size, 2, 'one key per class');
      for (const [key, u] of use) assert.deepEqual([u.miss, u.hit], [1, 2], `key ${key}`);
      // Both shared, and no lease left behind: anyone takes it at once.
      for (const key of use.keys()) {
        assert.ok(await w.first.artifacts!.getArtifact(PRETRAIN_ARTIFACT_PREFIX + key));
        assert.equal(await w.first.artifacts!.acquireLease(PRETRAIN_ARTIFACT_PREFIX + key, 'probe:1', 1), true);
        await w.first.artifacts!.releaseLease(PRETRAIN_ARTIFACT_PREFIX + key, 'probe:1');
      }

      // More points of the same classes; a new host, nothing in its cache: every trial is a hit, from the database.
      const more = studyOf({ normalClass: [0, 1], lambdaKl: [10] });
      await w.first.enqueuePoints(w.id, expandGrid(more.grid), { ...w.distributions, lambdaKl: [0.1, 1, 3, 10] });
      const c = await host(w, 'hostC');
      assert.equal(c.summary.completed, 2);
      trials = await w.first.getTrials(w.id);
      use = cacheUse(trials, w.keyOf);
      for (const [key, u] of use) {
        assert.deepEqual([u.miss, u.hit], [1, 3], `key ${key}: pretrained once across three hosts`);
        assert.ok(u.hosts.has('hostC'));
      }
      assert.equal(readdirSync(join(c.cacheDir, 'pretrain')).length, 2, "host C's local cache got both entries");
    } finally {
      await w.first.close();
    }
  },
);

test(
  'a holder that died (its lease expires) is taken over; meanwhile the other class runs',
  { timeout: 300_000 },
  async () => {
    const w = await world({ normalClass: [0, 1] });
    try {
      const [t0, t1] = await w.first.getTrials(w.id);
      const deadKey = w.keyOf(t0!)!;
      // A host took the lease of class 0's pretraining, then died: it never renews or releases it.
      assert.equal(await w.first.artifacts!.acquireLease(PRETRAIN_ARTIFACT_PREFIX + deadKey, 'deadhost:999', 60), true);
      let waits = 0;
      const { summary } = await host(w, 'hostB', {
        note: (m) => {
          // Time passes while host B works on and waits: past the dead holder's lease.
          if (/being built by another host/.test(m) && ++waits === 1) w.clock.now += 61_000;
        },
      });
      assert.equal(summary.completed, 2);
      assert.equal(waits, 1);
      const [a, b] = [await w.first.getTrial(t0!.id), await w.first.getTrial(t1!.id)];
      assert.equal(a.state, TrialState.COMPLETE);
      assert.equal(b.state, TrialState.COMPLETE);
      // Class 1 ran first, though queued second; class 0 was then built by host B.
      assert.ok(b.startedAt! <= a.startedAt!, 'the free class ran while the lease was live');
      assert.equal(a.userAttrs.pretrain_cache, 'miss');
      assert.ok(await w.first.artifacts!.getArtifact(PRETRAIN_ARTIFACT_PREFIX + deadKey));
      // The dead holder's lease was taken over and released.
      assert.equal(await w.first.artifacts!.acquireLease(PRETRAIN_ARTIFACT_PREFIX + deadKey, 'probe:1', 1), true);
    } finally {
      await w.first.close();
    }
  },
);

test(
  'a damaged shared copy is a miss: the trial builds it, renews its lease while it runs, and stores it again',
  { timeout: 300_000 },
  async () => {
    const w = await world({ normalClass: [0] });
    try {
      const [t0] = await w.first.getTrials(w.id);
      const id = PRETRAIN_ARTIFACT_PREFIX + w.keyOf(t0!)!;
      await w.first.artifacts!.putArtifact(id, new Uint8Array([1, 2, 3]));
      const raw = new Database(w.db);
      raw.prepare("UPDATE iae_artifacts SET bytes = x'0102ff' WHERE key = ?").run(id);
      raw.close();
      const notes: string[] = [];
      const log: string[] = [];
      const { summary } = await host(w, 'hostB', {
        note: (m) => notes.push(m),
        wrap: (s) => logArtifactWrites(s, log),
      });
      assert.equal(summary.completed, 1);
      assert.ok(
        notes.some((m) => /is damaged/.test(m)),
        notes.join('\n'),
      );
      assert.equal((await w.first.getTrial(t0!.id)).userAttrs.pretrain_cache, 'miss');
      const stored = await w.first.artifacts!.getArtifact(id);
      assert.equal(
        checkPretrainEntry(stored!.bytes, w.keyOf(t0!)!),
        null,
        'the rebuilt entry replaced the damaged copy',
      );
      // Taken, renewed with the heartbeat while the trial ran, then stored and released, in that order.
      const leases = log.filter((l) => l === `lease ${id}`).length;
      assert.ok(leases >= 2, `lease taken and renewed: ${leases} call(s)`);
      assert.deepEqual(
        log.filter((l) => !l.startsWith('lease')),
        [`put ${id}`, `release ${id}`],
      );
    } finally {
      await w.first.close();
    }
  },
);

test(
  'a host stopped while it builds gives the trial back and frees the lease at once',
  { timeout: 300_000 },
  async () => {
    const w = await world({ normalClass: [0] });
    try {
      const [t0] = await w.first.getTrials(w.id);
      const id = PRETRAIN_ARTIFACT_PREFIX + w.keyOf(t0!)!;
      const { summary } = await host(w, 'hostB', { stopAtFirstPretrainEpoch: true });
      assert.ok(summary.interrupted);
      assert.equal((await w.first.getTrial(t0!.id)).state, TrialState.WAITING);
      // The stop may reach the worker before or after it saved its entry: shared only if whole.
      const art = await w.first.artifacts!.getArtifact(id);
      if (art) assert.equal(checkPretrainEntry(art.bytes, w.keyOf(t0!)!), null);
      // Not left to expire: another host takes it now (the clock has not moved).
      assert.equal(await w.first.artifacts!.acquireLease(id, 'probe:1', 1), true);
    } finally {
      await w.first.close();
    }
  },
);
