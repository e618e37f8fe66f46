// openStorage: the one way callers open a storage. A path opens SQLite; a
// PostgreSQL URL is routed to its backend (an unreachable one: a typed error
// that names the URL with its password masked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StorageError } from '../../src/errors/index.js';
import { maskLocation, openStorage } from '../../src/storage/index.js';
import { tempDir } from './helpers.js';

test('a path opens SQLite, and location is that path', async (t) => {
  const tmp = tempDir('iae-open-');
  t.after(() => tmp.cleanup());
  const path = join(tmp.dir, 'x.sqlite3');
  const storage = await openStorage(path);
  try {
    assert.equal(storage.location, path);
    // SQLite studies keep the local disk cache for sharing; the store exists all the same (sweep copy, tests).
    assert.ok(storage.artifacts, 'both backends have an artifact store');
    assert.equal((await storage.openStudy('x', {})).name, 'x');
  } finally {
    await storage.close();
  }
  const ro = await openStorage(path, { readonly: true });
  try {
    assert.deepEqual(
      (await ro.listStudies()).map((s) => s.name),
      ['x'],
    );
    await assert.rejects(ro.openStudy('y', {}), StorageError);
  } finally {
    await ro.close();
  }
});

test('a PostgreSQL URL gives a typed error naming it, its password masked', async () => {
  for (const url of ['postgresql://sweep:s3cret@db.example:5432/sweeps', 'postgres://sweep:s3cret@db.example/sweeps']) {
    await assert.rejects(openStorage(url), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      // PostgreSQL storage is built in: the URL is tried, and the error names it with its password masked.
      assert.match(err.message, /^postgres(ql)?:\/\/sweep:\*\*\*@db\.example[:/]/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  }
  assert.equal(maskLocation('postgresql://u:pw@h/db'), 'postgresql://u:***@h/db');
  assert.equal(maskLocation('db/x.sqlite3'), 'db/x.sqlite3');
});

test('a call through the tx of an atomically that has ended rejects instead of running outside any transaction', async (t) => {
  const tmp = tempDir('iae-open-');
  t.after(() => tmp.cleanup());
  const storage = await openStorage(join(tmp.dir, 'x.sqlite3'));
  t.after(() => storage.close());
  const s = await storage.openStudy('x', {});
  const leaked = await storage.atomically(async (tx) => tx);
  await assert.rejects(leaked.getStudy('x'), StorageError);
  assert.equal((await storage.getStudy('x'))?.id, s.id);
});
