import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError } from '../../src/errors/index.js';
import { CIFAR10_CLASSES, CIFAR10_RECORD, loadCifar10 } from '../../src/data/cifar10.js';
import { loadDataset } from '../../src/data/index.js';
import { prepareTrialData } from '../../src/data/prepare.js';
import { tempDir } from './helpers.js';

const root = tempDir();

/** Pixel value of image `id`, channel c, row y, column x: distinct per position and channel. */
const value = (id: number, c: number, y: number, x: number) => (id * 31 + c * 97 + y * 13 + x * 7) % 256;

/** A batch file as the published format: per record, label then R plane, G plane, B plane. */
function batch(ids: number[]): Buffer {
  const buf = Buffer.alloc(ids.length * CIFAR10_RECORD);
  ids.forEach((id, r) => {
    const s = r * CIFAR10_RECORD;
    buf[s] = id % 10;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) buf[s + 1 + c * 1024 + y * 32 + x] = value(id, c, y, x);
  });
  return buf;
}

function writeCopy(dir: string, perBatch = 4, testN = 3, meta = true): void {
  mkdirSync(dir, { recursive: true });
  for (let b = 0; b < 5; b++)
    writeFileSync(
      join(dir, `data_batch_${b + 1}.bin`),
      batch(Array.from({ length: perBatch }, (_, i) => b * perBatch + i)),
    );
  writeFileSync(join(dir, 'test_batch.bin'), batch(Array.from({ length: testN }, (_, i) => 1000 + i)));
  if (meta)
    writeFileSync(join(dir, 'batches.meta.txt'), CIFAR10_CLASSES.map((c) => c.toUpperCase()).join('\n') + '\n\n');
}

function isDatasetError(...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof DatasetError, String(err));
    for (const f of fragments) assert.ok(err.message.includes(f), `"${f}" not in: ${err.message}`);
    return true;
  };
}

describe('CIFAR-10 binary reader', () => {
  it('turns channel-major records into NHWC pixel for pixel, batches in order', async () => {
    const dir = join(root, 'ok');
    writeCopy(dir);
    const ds = await loadDataset({ name: 'cifar10', dir });
    assert.equal(ds.source, resolve(dir));
    assert.deepEqual(
      ds.classNames,
      CIFAR10_CLASSES.map((c) => c.toUpperCase()),
    );
    assert.deepEqual([ds.train.n, ds.train.height, ds.train.width, ds.train.channels, ds.test.n], [20, 32, 32, 3, 3]);
    for (const [set, ids] of [
      [ds.train, Array.from({ length: 20 }, (_, i) => i)],
      [ds.test, [1000, 1001, 1002]],
    ] as const) {
      ids.forEach((id, n) => {
        assert.equal(set.labels[n], id % 10);
        for (let y = 0; y < 32; y++)
          for (let x = 0; x < 32; x++)
            for (let c = 0; c < 3; c++) {
              const got = set.images[((n * 32 + y) * 32 + x) * 3 + c];
              if (got !== value(id, c, y, x))
                assert.fail(`image ${id} (${y},${x},${c}): ${got} != ${value(id, c, y, x)}`);
            }
      });
    }
  });

  it('finds the cifar-10-batches-bin subfolder, and uses the published names without a meta file', async () => {
    const dir = join(root, 'parent');
    writeCopy(join(dir, 'cifar-10-batches-bin'), 1, 2, false);
    const ds = await loadCifar10(dir);
    assert.equal(ds.source, resolve(dir, 'cifar-10-batches-bin'));
    assert.deepEqual(ds.classNames, CIFAR10_CLASSES);
  });

  it('prepares 32x32x3 trials (GCN-L1 + min-max to [0,1] on the normal images)', async () => {
    const dir = join(root, 'prep');
    writeCopy(dir, 20, 20);
    const d = prepareTrialData(await loadCifar10(dir), { normalClass: 2, seed: 0, contamination: 0, minmax: 'train' });
    assert.deepEqual([d.height, d.width, d.channels, d.nTrain, d.nTest], [32, 32, 3, 10, 20]);
    let lo = Infinity,
      hi = -Infinity;
    for (const v of d.trainX) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(Math.abs(lo) < 1e-6 && Math.abs(hi - 1) < 1e-6, `${lo}..${hi}`);
  });

  it('rejects a truncated record naming the file and the record', async () => {
    const dir = join(root, 'trunc');
    writeCopy(dir);
    writeFileSync(join(dir, 'data_batch_3.bin'), batch([1, 2, 3]).subarray(0, 2 * CIFAR10_RECORD + 100));
    await assert.rejects(
      loadCifar10(dir),
      isDatasetError(join(resolve(dir), 'data_batch_3.bin'), 'record 2 is truncated', '100 of 3073'),
    );
  });

  it('rejects a label byte above 9 naming file and record', async () => {
    const dir = join(root, 'label');
    writeCopy(dir);
    const b = batch([0, 1, 2]);
    b[CIFAR10_RECORD] = 12;
    writeFileSync(join(dir, 'test_batch.bin'), b);
    await assert.rejects(loadCifar10(dir), isDatasetError('test_batch.bin', 'record 1 has label 12'));
  });

  it('rejects missing batches and a bad meta file, and says where it looked', async () => {
    const dir = join(root, 'partial');
    mkdirSync(dir);
    writeFileSync(join(dir, 'test_batch.bin'), batch([0]));
    writeFileSync(join(dir, 'data_batch_1.bin'), batch([0]));
    await assert.rejects(
      loadCifar10(dir),
      isDatasetError('incomplete', 'data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin'),
    );
    const meta = join(root, 'meta');
    writeCopy(meta);
    writeFileSync(join(meta, 'batches.meta.txt'), 'cat\ndog\n');
    await assert.rejects(loadCifar10(meta), isDatasetError('batches.meta.txt', 'found 2'));
    await assert.rejects(
      loadCifar10(join(root, 'nowhere')),
      isDatasetError('not found', join(resolve(root), 'nowhere'), 'CIFAR10_DIR'),
    );
  });
});
