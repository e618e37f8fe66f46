import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { makeSynthetic } from '../../src/data/synthetic.js';
import { cachePath, isShared, loadDatasetShared, readCache, toShared, writeCache } from '../../src/data/shared.js';
import type { RawDataset } from '../../src/data/types.js';
import { idxBytes, tempDir } from './helpers.js';

const root = tempDir();

/** A data set with every kind of array: uint8 images, float images, anomaly flags, lengths not multiples of 8. */
function mixed(): RawDataset {
  return {
    name: 'mixed',
    classNames: ['a', 'b', 'c'],
    source: '/somewhere',
    preprocessing: 'symmetric',
    train: {
      images: Uint8Array.from({ length: 3 * 5 }, (_, i) => i * 11),
      labels: Uint8Array.from([0, 1, 2]),
      n: 3,
      height: 1,
      width: 5,
      channels: 1,
    },
    test: {
      images: Float32Array.from({ length: 7 }, (_, i) => i / 3 - 1),
      labels: Uint8Array.from([2, 2, 0, 1, 0, 0, 1]),
      anomaly: Uint8Array.from([1, 0, 0, 1, 1, 0, 1]),
      n: 7,
      height: 1,
      width: 1,
      channels: 1,
    },
  };
}

function assertSameData(a: RawDataset, b: RawDataset) {
  assert.deepEqual(
    {
      ...a,
      train: { ...a.train, images: Array.from(a.train.images) },
      test: { ...a.test, images: Array.from(a.test.images) },
    },
    {
      ...b,
      train: { ...b.train, images: Array.from(b.train.images) },
      test: { ...b.test, images: Array.from(b.test.images) },
    },
  );
  for (const k of ['train', 'test'] as const) {
    assert.equal(a[k].images.constructor, b[k].images.constructor);
    assert.deepEqual(Buffer.from(a[k].labels), Buffer.from(b[k].labels));
  }
}

describe('shared data and the disk cache', () => {
  it('toShared moves every array into shared memory, values unchanged', () => {
    const raw = mixed();
    const s = toShared(raw);
    assert.ok(isShared(s) && !isShared(raw));
    assertSameData(s, raw);
    assert.equal(toShared(s).train.images, s.train.images, 'already shared: kept');
  });

  it('a cache file round-trips every array type, straight into shared memory', async () => {
    const p = join(root, 'mixed.bin');
    await writeCache(p, mixed());
    const back = await readCache(p);
    assert.ok(back && isShared(back));
    assertSameData(back, mixed());
    assert.equal(back.test.anomaly!.length, 7);
  });

  it('the second load is a cache hit; a corrupt or cut cache file is rebuilt', async () => {
    // A tiny Fashion-MNIST copy: decoding it is fast, so every rebuild is cheap.
    const dir = join(root, 'fm-small');
    mkdirSync(dir);
    const px = Uint8Array.from({ length: 5 * 784 }, (_, i) => (i * 13) % 256);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes('u8', [5, 28, 28], px));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes('u8', [5], [0, 1, 2, 3, 4]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes('u8', [2, 28, 28], px.subarray(0, 2 * 784)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes('u8', [2], [9, 8]));
    const spec = { name: 'fashion-mnist', dir };
    const expected = await loadFashionMnist(dir);
    const cacheDir = join(root, 'cache');
    const log: string[] = [];
    const first = await loadDatasetShared(spec, { cacheDir, log: (m) => log.push(m) });
    assert.ok(isShared(first));
    assert.equal(log.length, 0, 'first load: nothing to report');
    assertSameData(first, expected);
    const path = await cachePath(spec, cacheDir);
    assert.deepEqual(readdirSync(cacheDir), [path.split('/').pop()]);
    const second = await loadDatasetShared(spec, { cacheDir, log: (m) => log.push(m) });
    assert.match(log.pop()!, /cache hit/);
    assertSameData(second, expected);

    const good = readFileSync(path);
    const damage: [string, Buffer, RegExp][] = [
      [
        'one payload byte flipped',
        Buffer.from(good).fill(good[good.length - 100] ^ 0xff, good.length - 100, good.length - 99),
        /checksum mismatch/,
      ],
      ['cut short', good.subarray(0, good.length - 1000), /size/],
      ['not ours', Buffer.from('hello, world'), /not a data cache file/],
      ['header garbage', Buffer.concat([good.subarray(0, 12), Buffer.from('{{{{'), good.subarray(16)]), /unreadable/],
    ];
    for (const [what, bytes, reason] of damage) {
      writeFileSync(path, bytes);
      const rebuilt = await loadDatasetShared(spec, { cacheDir, log: (m) => log.push(m) });
      assert.match(log.pop()!, reason, what);
      assertSameData(rebuilt, expected);
      assert.deepEqual(readFileSync(path), good, `${what}: file rewritten`);
    }
    assert.equal(await readCache(join(cacheDir, 'absent.bin')), undefined);
  });

  it('synthetic goes through the cache too', async () => {
    const cacheDir = join(root, 'cache-syn');
    const a = await loadDatasetShared({ name: 'synthetic' }, { cacheDir });
    const log: string[] = [];
    const b = await loadDatasetShared({ name: 'synthetic' }, { cacheDir, log: (m) => log.push(m) });
    assert.match(log[0], /cache hit/);
    assertSameData(b, a);
    assertSameData(b, makeSynthetic());
  });

  it('the cache key follows the input files', async () => {
    const dir = join(root, 'fm');
    mkdirSync(dir);
    const write = (n: number) => {
      writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes('u8', [n, 28, 28], new Uint8Array(n * 784).fill(3)));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes('u8', [n], new Uint8Array(n)));
      writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes('u8', [1, 28, 28], new Uint8Array(784)));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes('u8', [1], [1]));
    };
    write(2);
    const spec = { name: 'fashion-mnist', dir };
    const cacheDir = join(root, 'cache-fm');
    const a = await cachePath(spec, cacheDir);
    assert.equal((await loadDatasetShared(spec, { cacheDir })).train.n, 2);
    write(3);
    assert.notEqual(await cachePath(spec, cacheDir), a);
    assert.equal((await loadDatasetShared(spec, { cacheDir })).train.n, 3);
  });

  it('two worker threads share one copy: a write is seen by both, memory grows by one copy', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const S = 96 << 20;
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    // Big enough that a copy per worker could not hide in the noise.
    const big = (shared: boolean): RawDataset => {
      const images = shared ? new Uint8Array(new SharedArrayBuffer(S)) : new Uint8Array(S);
      for (let i = 0; i < S; i += 4096) images[i] = (i >> 12) & 255;
      return {
        name: 'big',
        classNames: ['a'],
        source: 'test',
        train: { images, labels: new Uint8Array(1), n: 1, height: 1, width: S, channels: 1 },
        test: { images: new Uint8Array(1), labels: new Uint8Array(1), n: 1, height: 1, width: 1, channels: 1 },
      };
    };
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const a = workerData.train.images;
      let sum = 0;
      for (let i = 0; i < a.length; i += 4096) sum += a[i];
      parentPort.postMessage({ sum, shared: a.buffer instanceof SharedArrayBuffer });
      parentPort.on('message', () => parentPort.postMessage({ marker: a[4096 * 7] }));
    `;
    const expectedSum = Array.from({ length: S / 4096 }, (_, k) => k & 255).reduce((s, v) => s + v, 0);
    /** Start two workers on `raw`, let them touch every page; rss growth they caused; then stop them. */
    const twoWorkers = async (raw: RawDataset) => {
      gc();
      const rss0 = process.memoryUsage().rss;
      const ws = [0, 1].map(() => new Worker(code, { eval: true, workerData: raw }));
      const next = (w: Worker) =>
        new Promise<Record<string, unknown>>((r, j) => (w.once('message', r), w.once('error', j)));
      const first = await Promise.all(ws.map(next));
      const grew = process.memoryUsage().rss - rss0;
      raw.train.images[4096 * 7] = 201; // written by the main thread after the workers started
      const markers = await Promise.all(ws.map((w) => (w.postMessage('check'), next(w))));
      await Promise.all(ws.map((w) => w.terminate()));
      return { first, grew, markers: markers.map((m) => m.marker) };
    };

    // Shared, through the cache: read from disk straight into one SharedArrayBuffer.
    const cacheFile = join(root, 'big.bin');
    await writeCache(cacheFile, big(false));
    gc();
    const rssBefore = process.memoryUsage().rss;
    const shared = (await readCache(cacheFile))!;
    const loaded = process.memoryUsage().rss - rssBefore;
    // At most one copy (freed memory of the array written above may be reused, so no lower bound).
    assert.ok(loaded < 1.3 * S, `loading ${mb(S)} MiB grew rss by ${mb(loaded)} MiB`);
    const s = await twoWorkers(shared);
    assert.deepEqual(s.first, [
      { sum: expectedSum, shared: true },
      { sum: expectedSum, shared: true },
    ]);
    assert.deepEqual(s.markers, [201, 201], 'both workers see the main thread write: same memory');
    // Two workers' own heaps and code cost ~10-20 MiB each; a copy of the data would cost 96.
    assert.ok(s.grew < 0.5 * S, `two workers on ${mb(S)} MiB of shared data grew rss by ${mb(s.grew)} MiB`);

    // Control: plain ArrayBuffers are copied into each worker, and the same measure sees it.
    const p = await twoWorkers(big(false));
    assert.deepEqual(p.markers, [7, 7], 'copies do not see the write');
    assert.ok(p.grew > 1.8 * S, `plain arrays: rss grew ${mb(p.grew)} MiB, expected two copies`);
  });
});
