// The ArtifactStore contract on a real SQLite file (src/storage/sqlite-artifacts.ts):
// blobs kept once with their checksum, a damaged one refused; leases taken,
// denied, renewed, released, and expired by the storage's clock (a test
// clock here: no sleeps). And Optuna still loads a file that has our tables.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ArtifactDamagedError, openSqliteStorage } from '../../src/storage/index.js';
import { StorageError } from '../../src/errors/index.js';
import { DISTRIBUTIONS, makePoints, tempDir } from './helpers.js';
import { optuna } from './optuna.js';

const T0 = Date.UTC(2026, 0, 1);

describe('ArtifactStore on SQLite', () => {
  const tmp = tempDir('iae-artifacts-');
  after(() => tmp.cleanup());
  let n = 0;
  const open = () => {
    let now = T0;
    const path = join(tmp.dir, `a${n++}.sqlite3`);
    const storage = openSqliteStorage(path, { clock: () => now });
    return { storage, path, store: storage.artifacts!, advance: (s: number) => (now += s * 1000) };
  };

  it('put then get: the same bytes, their sha256 and the creation time; absent keys read null', async () => {
    const { storage, store } = open();
    try {
      assert.equal(await store.getArtifact('pretrain/x'), null);
      const bytes = new Uint8Array([1, 2, 3, 250]);
      const put = await store.putArtifact('pretrain/x', bytes);
      const sha = createHash('sha256').update(bytes).digest('hex');
      assert.equal(put.sha256, sha);
      const got = await store.getArtifact('pretrain/x');
      assert.ok(got);
      assert.deepEqual([...got.bytes], [1, 2, 3, 250]);
      assert.equal(got.sha256, sha);
      assert.equal(got.createdAt.getTime(), T0);
      assert.equal(await store.getArtifact('pretrain/y'), null);
    } finally {
      await storage.close();
    }
  });

  it('a second put of a key keeps the first copy', async () => {
    const { storage, store } = open();
    try {
      await store.putArtifact('k', new Uint8Array([1]));
      const second = await store.putArtifact('k', new Uint8Array([2]));
      assert.deepEqual([...second.bytes], [1]);
      assert.deepEqual([...(await store.getArtifact('k'))!.bytes], [1]);
    } finally {
      await storage.close();
    }
  });

  it('a damaged blob is refused with ArtifactDamagedError (a StorageError naming the key); a new put replaces it', async () => {
    const { storage, store, path } = open();
    try {
      await store.putArtifact('k', new Uint8Array([1, 2, 3]));
      const raw = new Database(path);
      raw.prepare("UPDATE iae_artifacts SET bytes = x'010203ff' WHERE key = 'k'").run();
      raw.close();
      await assert.rejects(
        store.getArtifact('k'),
        (e: unknown) =>
          e instanceof ArtifactDamagedError && e instanceof StorageError && /artifact "k" is damaged/.test(e.message),
      );
      await store.putArtifact('k', new Uint8Array([4, 5]));
      assert.deepEqual([...(await store.getArtifact('k'))!.bytes], [4, 5]);
    } finally {
      await storage.close();
    }
  });

  it('leases: taken when absent, denied to another holder while live, renewed by the holder, free once expired or released', async () => {
    const { storage, store, advance } = open();
    try {
      assert.equal(await store.acquireLease('k', 'a:1', 60), true);
      assert.equal(await store.acquireLease('k', 'b:2', 60), false);
      // Other keys are independent.
      assert.equal(await store.acquireLease('other', 'b:2', 60), true);
      advance(50);
      // Renewed by its holder: 60 s from now.
      assert.equal(await store.acquireLease('k', 'a:1', 60), true);
      advance(50);
      assert.equal(await store.acquireLease('k', 'b:2', 60), false, 'renewed at t=50, live until t=110');
      advance(11);
      // Expired (the holder died): anyone takes it.
      assert.equal(await store.acquireLease('k', 'b:2', 60), true);
      assert.equal(await store.acquireLease('k', 'a:1', 60), false);
      // A late release by the old holder does not free the new holder's lease.
      await store.releaseLease('k', 'a:1');
      assert.equal(await store.acquireLease('k', 'c:3', 60), false);
      await store.releaseLease('k', 'b:2');
      assert.equal(await store.acquireLease('k', 'c:3', 60), true);
      await assert.rejects(store.acquireLease('k', 'c:3', 0), RangeError);
    } finally {
      await storage.close();
    }
  });

  it('two connections (two processes) see one lease', async () => {
    const { storage, store, path } = open();
    const other = openSqliteStorage(path, { clock: () => T0 });
    try {
      assert.equal(await store.acquireLease('k', 'a:1', 60), true);
      assert.equal(await other.artifacts!.acquireLease('k', 'b:2', 60), false);
      await store.putArtifact('k', new Uint8Array([9]));
      assert.deepEqual([...(await other.artifacts!.getArtifact('k'))!.bytes], [9]);
    } finally {
      await other.close();
      await storage.close();
    }
  });

  it('a read-only open of a file without the tables reads no artifact (and creates nothing)', async () => {
    const { storage, path } = open();
    await storage.openStudy('s', {});
    await storage.close();
    const ro = openSqliteStorage(path, { readonly: true });
    try {
      assert.equal(await ro.artifacts!.getArtifact('k'), null);
    } finally {
      await ro.close();
    }
    const raw = new Database(path, { readonly: true });
    const ours = raw.prepare("SELECT name FROM sqlite_master WHERE name IN ('iae_artifacts', 'iae_leases')").all();
    assert.deepEqual(ours, []);
    raw.close();
  });

  it('Optuna (real, /usr/bin/python3) still loads a study from a file with our artifact and lease tables', async () => {
    const { storage, store, path } = open();
    const study = await storage.openStudy('with-artifacts', {});
    await storage.enqueuePoints(study.id, makePoints(3), DISTRIBUTIONS);
    await store.putArtifact('pretrain/k', new Uint8Array(1000).fill(7));
    await store.acquireLease('pretrain/k', 'a:1', 60);
    await storage.close();
    const dump = JSON.parse(optuna('dump', path, 'with-artifacts')) as { trials: unknown[] };
    assert.equal(dump.trials.length, 3);
  });
});
