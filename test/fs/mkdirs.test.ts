// makeDirs fails at once where Node 20's recursive mkdir loops for ever
// (procfs answers ENOENT for a child of an existing folder). The test
// timeouts catch a hang; nothing here measures time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsReason, makeDirs } from '../../src/fs/mkdirs.js';
import { loadDatasetShared } from '../../src/data/shared.js';
import { download } from '../../src/data/fetch.js';

test('creates missing levels, accepts an existing folder, refuses a file in the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mkdirs-'));
  try {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirs(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDirs(deep);
    writeFileSync(join(dir, 'file'), '');
    assert.throws(
      () => makeDirs(join(dir, 'file', 'x')),
      (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR',
    );
    assert.throws(
      () => makeDirs('/dev/null/x'),
      (e: unknown) => /^ENOTDIR: a part of the path is a file/.test(fsReason(e)),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('under /proc: an error at once, not an endless loop', { timeout: 30_000 }, () => {
  assert.throws(
    () => makeDirs('/proc/forbidden/x'),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' || e.code === 'EACCES',
  );
  assert.equal(existsSync('/proc/forbidden'), false);
});

test(
  'a data cache folder under /proc: the data still loads, the cache is skipped with a note',
  { timeout: 60_000 },
  async () => {
    const notes: string[] = [];
    const data = await loadDatasetShared(
      { name: 'synthetic' },
      { cacheDir: '/proc/forbidden/cache', log: (l) => notes.push(l) },
    );
    assert.ok(data.train.n > 0);
    assert.ok(
      notes.some((n) => /data cache not written .*ENOENT|EACCES/.test(n)),
      notes.join('\n'),
    );
  },
);

test('a download to a folder under /proc fails at once, before any connection', { timeout: 30_000 }, async () => {
  // Port 9 on loopback: never reached, since the folder is made first.
  await assert.rejects(
    download('http://127.0.0.1:9/x', '/proc/forbidden/x', { retries: 0 }),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' || e.code === 'EACCES',
  );
  assert.equal(existsSync('/proc/forbidden'), false);
});
