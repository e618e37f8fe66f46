import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetError } from '../../src/errors/index.js';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_SYSTEM_DIR,
  fashionMnistSearchPath,
  loadFashionMnist,
} from '../../src/data/fashion-mnist.js';
import { idxBytes, tempDir } from './helpers.js';

const root = tempDir();

/** A tiny Fashion-MNIST lookalike: n images 28x28 whose pixels encode (image, position). */
function writeFake(dir: string, nTrain: number, nTest: number, opts: { gz?: boolean; labelsTest?: number } = {}) {
  mkdirSync(dir, { recursive: true });
  const px = (n: number, salt: number) => Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7 + salt) % 256);
  const labs = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
  const files: [string, Buffer][] = [
    ['train-images-idx3-ubyte', idxBytes('u8', [nTrain, 28, 28], px(nTrain, 1))],
    ['train-labels-idx1-ubyte', idxBytes('u8', [nTrain], labs(nTrain))],
    ['t10k-images-idx3-ubyte', idxBytes('u8', [nTest, 28, 28], px(nTest, 2))],
    ['t10k-labels-idx1-ubyte', idxBytes('u8', [opts.labelsTest ?? nTest], labs(opts.labelsTest ?? nTest))],
  ];
  // Mix .gz and raw: each file may come either way.
  files.forEach(([name, buf], i) => {
    const gz = opts.gz ?? i % 2 === 0;
    writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(buf) : buf);
  });
  return { px, labs };
}

function isDatasetError(...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof DatasetError, String(err));
    for (const f of fragments) assert.ok(err.message.includes(f), `"${f}" not in: ${err.message}`);
    return true;
  };
}

describe('Fashion-MNIST loader', () => {
  it('reads a generated copy (gz and raw mixed) pixel for pixel', async () => {
    const dir = join(root, 'ok');
    const { px, labs } = writeFake(dir, 12, 5);
    const ds = await loadFashionMnist(dir);
    assert.equal(ds.name, 'fashion-mnist');
    assert.deepEqual(ds.classNames, FASHION_MNIST_CLASSES);
    assert.equal(ds.source, resolve(dir));
    assert.deepEqual([ds.train.n, ds.train.height, ds.train.width, ds.train.channels], [12, 28, 28, 1]);
    assert.deepEqual([ds.test.n, ds.test.height, ds.test.width, ds.test.channels], [5, 28, 28, 1]);
    assert.deepEqual(Buffer.from(ds.train.images), Buffer.from(px(12, 1)));
    assert.deepEqual(Buffer.from(ds.test.images), Buffer.from(px(5, 2)));
    assert.deepEqual(Array.from(ds.train.labels), Array.from(labs(12)));
  });

  it('finds the copy named by FASHION_MNIST_DIR', async () => {
    const dir = join(root, 'env');
    writeFake(dir, 3, 2, { gz: false });
    const saved = process.env.FASHION_MNIST_DIR;
    process.env.FASHION_MNIST_DIR = dir;
    try {
      const ds = await loadFashionMnist();
      assert.equal(ds.source, resolve(dir));
      assert.equal(ds.train.n, 3);
    } finally {
      if (saved === undefined) delete process.env.FASHION_MNIST_DIR;
      else process.env.FASHION_MNIST_DIR = saved;
    }
  });

  it('searches dir alone when given, else env, data/fashion-mnist, the Debian folder', () => {
    assert.deepEqual(fashionMnistSearchPath('/x/y', { FASHION_MNIST_DIR: '/e' }), ['/x/y']);
    assert.deepEqual(fashionMnistSearchPath(undefined, { FASHION_MNIST_DIR: '/e' }), [
      '/e',
      resolve('data/fashion-mnist'),
      FASHION_MNIST_SYSTEM_DIR,
    ]);
    assert.deepEqual(fashionMnistSearchPath(undefined, {}), [resolve('data/fashion-mnist'), FASHION_MNIST_SYSTEM_DIR]);
  });

  it('rejects image/label count mismatch naming the label file', async () => {
    const dir = join(root, 'mismatch');
    writeFake(dir, 4, 5, { labelsTest: 4 });
    await assert.rejects(
      loadFashionMnist(dir),
      isDatasetError(join(resolve(dir), 't10k-labels-idx1-ubyte'), '4 labels for 5 images'),
    );
  });

  it('rejects a folder with some files missing, naming them', async () => {
    const dir = join(root, 'incomplete');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes('u8', [1, 28, 28], new Uint8Array(784))));
    await assert.rejects(
      loadFashionMnist(dir),
      isDatasetError(
        resolve(dir),
        'incomplete',
        't10k-labels-idx1-ubyte(.gz)',
        'apt-get install dataset-fashion-mnist',
      ),
    );
  });

  it('says where it looked and how to get it when absent', async () => {
    const dir = join(root, 'empty-place');
    await assert.rejects(
      loadFashionMnist(dir),
      isDatasetError('not found', resolve(dir), 'apt-get install dataset-fashion-mnist', 'FASHION_MNIST_DIR'),
    );
  });

  it('rejects labels outside 0..9 and images of the wrong rank', async () => {
    const dir = join(root, 'badlabel');
    writeFake(dir, 2, 2, { gz: false });
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes('u8', [2], [3, 10]));
    await assert.rejects(loadFashionMnist(dir), isDatasetError('label 10 of record 1'));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes('u8', [2], [3, 1]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes('u8', [2, 784], new Uint8Array(1568)));
    await assert.rejects(loadFashionMnist(dir), isDatasetError('t10k-images-idx3-ubyte', 'dims [2, 784]'));
  });

  const real = existsSync(join(FASHION_MNIST_SYSTEM_DIR, 'train-images-idx3-ubyte.gz'));
  it(
    'reads the real Fashion-MNIST: 60000/10000 images, 6000/1000 per class',
    { skip: !real && 'not installed' },
    async () => {
      const ds = await loadFashionMnist(FASHION_MNIST_SYSTEM_DIR);
      assert.deepEqual([ds.train.n, ds.train.height, ds.train.width], [60000, 28, 28]);
      assert.deepEqual([ds.test.n, ds.test.height, ds.test.width], [10000, 28, 28]);
      assert.equal(ds.train.images.length, 60000 * 784);
      const count = (l: Uint8Array) => l.reduce((c, v) => (c[v]++, c), new Array(10).fill(0));
      assert.deepEqual(count(ds.train.labels), new Array(10).fill(6000));
      assert.deepEqual(count(ds.test.labels), new Array(10).fill(1000));
      // Known facts of the published files: first training label is 9 (ankle boot), first test label 9.
      assert.equal(ds.train.labels[0], 9);
      assert.equal(ds.test.labels[0], 9);
    },
  );
});
