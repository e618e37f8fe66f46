// sweep cache: entries from real files (mtimes set with utimes, the clock
// injected), and which of them each clean filter takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheEntries, fmtBytes, selectForClean } from '../../src/cli/commands/cache/index.js';
import { UserInputError } from '../../src/errors/index.js';

test('clean: --all, --older-than and --study select, and combine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cache-'));
  const now = new Date('2026-06-30T00:00:00Z');
  const day = 86_400_000;
  mkdirSync(join(dir, 'pretrain'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const put = (rel: string, bytes: number, ageDays: number) => {
    const p = join(dir, rel);
    writeFileSync(p, Buffer.alloc(bytes));
    const t = new Date(now.getTime() - ageDays * day);
    utimesSync(p, t, t);
  };
  put('pretrain/aaaa.bin', 100, 40); // not a whole entry: named by its file stem
  put('pretrain/bbbb.bin', 200, 2);
  put('pretrain/cccc.bin.1-2-ff.tmp', 50, 60);
  put('data/fashion-mnist-0123abcd.bin', 1000, 45);
  const usage = new Map([
    ['aaaa', new Set(['old-study'])],
    ['bbbb', new Set(['old-study', 'new-study'])],
  ]);
  const entries = cacheEntries(dir, usage);
  assert.deepEqual(
    entries.map((e) => [e.kind, e.key, e.bytes, e.studies]),
    [
      ['pretrain', 'aaaa', 100, ['old-study']],
      ['pretrain', 'bbbb', 200, ['new-study', 'old-study']],
      ['partial', 'cccc.bin.1-2-ff.tmp', 50, []],
      ['data', 'fashion-mnist-0123abcd', 1000, []],
    ],
  );
  const keys = (o: Parameters<typeof selectForClean>[1]) => selectForClean(entries, o).map((e) => e.key);
  assert.equal(keys({ all: true, now }).length, 4);
  assert.deepEqual(keys({ olderThanDays: 30, now }), ['aaaa', 'cccc.bin.1-2-ff.tmp', 'fashion-mnist-0123abcd']);
  assert.deepEqual(keys({ study: 'new-study', now }), ['bbbb']);
  assert.deepEqual(keys({ study: 'old-study', olderThanDays: 30, now }), ['aaaa']);
  assert.throws(() => selectForClean(entries, { now }), UserInputError);
  assert.equal(fmtBytes(53.6 * 1024 ** 2), '53.6 MB');
});
