// The data fingerprint (issue 13, item 6): the same decoded data give the same
// sha256 whether decoded now or read from the data cache, at any path; one
// changed pixel, label or shape changes it. And the check start and worker
// make: refuse (naming the data set, both fingerprints and the fix), record
// when the study has none, accept when they agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { dataFingerprint, readFingerprint } from '../../src/data/fingerprint.js';
import { loadDatasetShared } from '../../src/data/shared.js';
import { makeSynthetic } from '../../src/data/synthetic.js';
import type { RawDataset } from '../../src/data/types.js';
import { DataMismatchError, DatasetError } from '../../src/errors/index.js';
import { checkDataFingerprint } from '../../src/cli/commands/start/data-fingerprint.js';
import { tempDir } from './helpers.js';

const copy = (
  raw: RawDataset,
  edit: (r: { train: RawDataset['train']; test: RawDataset['test'] }) => void = () => undefined,
): RawDataset => {
  const sets = {
    train: { ...raw.train, images: raw.train.images.slice(), labels: raw.train.labels.slice() },
    test: { ...raw.test, images: raw.test.images.slice(), labels: raw.test.labels.slice() },
  };
  edit(sets);
  return { ...raw, ...sets };
};

test('decoded now and read back from the data cache: one fingerprint; path and source do not count', async () => {
  const dir = tempDir();
  const spec = { name: 'synthetic' };
  const decoded = await loadDatasetShared(spec, { cacheDir: join(dir, 'cache') });
  const messages: string[] = [];
  const cached = await loadDatasetShared(spec, { cacheDir: join(dir, 'cache'), log: (m) => messages.push(m) });
  assert.ok(
    messages.some((m) => m.startsWith('data cache hit')),
    messages.join('\n'),
  );
  const fp = dataFingerprint(decoded);
  assert.equal(fp.dataset, 'synthetic');
  assert.match(fp.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(dataFingerprint(cached), fp);
  assert.deepEqual(dataFingerprint({ ...makeSynthetic(), source: '/elsewhere/entirely' }), fp);
});

test('one pixel, one label, one anomaly flag or the shape changes it', () => {
  const base = makeSynthetic({ trainPerClass: 5, testPerClass: 3 });
  const fp = dataFingerprint(base).sha256;
  const variants: [string, RawDataset][] = [
    ['a pixel', copy(base, (s) => (s.train.images[17] = (s.train.images[17]! + 1) % 256))],
    ['a test label', copy(base, (s) => (s.test.labels[0] = (s.test.labels[0]! + 1) % 10))],
    ['an anomaly flag', copy(base, (s) => (s.test = { ...s.test, anomaly: new Uint8Array(s.test.n) }))],
    // The same bytes as images of another height and width: not the same images.
    [
      'the shape',
      copy(base, (s) => (s.train = { ...s.train, height: 16, width: (s.train.height * s.train.width) / 16 })),
    ],
    ['train and test swapped', { ...base, train: base.test, test: base.train }],
    ['the element type', copy(base, (s) => (s.test = { ...s.test, images: Float32Array.from(s.test.images) }))],
  ];
  const seen = new Set([fp]);
  for (const [what, raw] of variants) {
    const other = dataFingerprint(raw).sha256;
    assert.notEqual(other, fp, what);
    seen.add(other);
  }
  assert.equal(seen.size, variants.length + 1, 'every change gives its own fingerprint');
  // Fixed order and content, not object identity: a copy hashes the same.
  assert.equal(dataFingerprint(copy(base)).sha256, fp);
});

test('check: refused with both fingerprints, the data set and the fix; recorded when absent; accepted when equal', () => {
  const data = makeSynthetic({ trainPerClass: 2, testPerClass: 2 });
  const mine = dataFingerprint(data);
  const where = { study: 'st', db: '/x/st.sqlite3' };
  assert.deepEqual(checkDataFingerprint(data, null, where), mine, 'a new study records it');
  assert.deepEqual(
    checkDataFingerprint(data, { definition: null }, where),
    mine,
    'an old study without one records it',
  );
  assert.equal(checkDataFingerprint(data, { data_fingerprint: { ...mine } }, where), null);
  const theirs = createHash('sha256').update('other files').digest('hex');
  assert.throws(
    () => checkDataFingerprint(data, { data_fingerprint: { dataset: 'synthetic', sha256: theirs } }, where),
    (err: unknown) => {
      assert.ok(err instanceof DataMismatchError && err instanceof DatasetError);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /data set "synthetic"/);
      assert.ok(err.message.includes(mine.sha256) && err.message.includes(theirs), err.message);
      assert.match(err.message, /study "st" .*\/x\/st\.sqlite3/);
      assert.match(err.message, /same files on every host/);
      assert.match(err.message, /sweep data list/);
      return true;
    },
  );
  assert.equal(readFingerprint('nonsense'), null);
  assert.deepEqual(readFingerprint({ dataset: 'd', sha256: 'h', extra: 1 }), { dataset: 'd', sha256: 'h' });
});
