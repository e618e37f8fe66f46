import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DatasetError } from '../../src/errors/index.js';
import { FASHION_MNIST_SYSTEM_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { contaminationCount, gcnL1InPlace, prepareTrialData } from '../../src/data/prepare.js';
import type { RawDataset, TrialDataOptions } from '../../src/data/types.js';

const base: TrialDataOptions = { normalClass: 0, seed: 0, contamination: 0, minmax: 'train' };

describe('preprocessing (gcn-l1) against a hand computation', () => {
  // Three 28x28 training images and two test images, mostly zeros, so GCN
  // on the 32x32 padded image can be worked out by hand.
  const img = (pixels: [number, number, number][], fill = 0) => {
    const a = new Uint8Array(784).fill(fill);
    for (const [y, x, v] of pixels) a[y * 28 + x] = v;
    return a;
  };
  const A = img([
    [0, 0, 255],
    [5, 7, 51],
    [27, 27, 102],
  ]); // class 0
  const B = img([], 255); // class 1: all 255 (the contamination image)
  const C = img([[10, 10, 255]]); // class 0
  const raw: RawDataset = {
    name: 'hand',
    classNames: ['a', 'b', 'c', 'd'],
    source: 'test',
    train: {
      images: Uint8Array.from([...A, ...B, ...C]),
      labels: Uint8Array.from([0, 1, 0]),
      n: 3,
      height: 28,
      width: 28,
      channels: 1,
    },
    test: {
      images: Uint8Array.from([...A, ...B]),
      labels: Uint8Array.from([0, 3]),
      n: 2,
      height: 28,
      width: 28,
      channels: 1,
    },
  };

  // A padded (offset 2,2) in [0,1]: 1.0 at (2,2), 0.2 at (7,9), 0.4 at (29,29).
  // mean m = 1.6/1024; mean abs deviation = (1021 m + (1-m) + (0.2-m) + (0.4-m)) / 1024 = 3.190625/1024
  // so (v - m)/mad = (1024 v - 1.6)/3.190625.
  const gA = (v: number) => (1024 * v - 1.6) / 3.190625;
  // C: one pixel 1.0 at (12,12): m = 1/1024, mad = 2046/1024^2, zero -> -1024/2046, one -> 512.
  // B: 784 ones and 240 zeros: m = 49/64, mad = 735/2048, zero -> -32/15, one -> 32/49.
  const expectA = (f: (x: number) => number) => {
    const e = new Array(1024).fill(f(gA(0)));
    e[2 * 32 + 2] = f(gA(1));
    e[7 * 32 + 9] = f(gA(0.2));
    e[29 * 32 + 29] = f(gA(0.4));
    return e;
  };
  const expectC = (f: (x: number) => number) => {
    const e = new Array(1024).fill(f(-1024 / 2046));
    e[12 * 32 + 12] = f(512);
    return e;
  };
  const expectB = (f: (x: number) => number) => {
    const e = new Array(1024).fill(f(-32 / 15));
    for (let y = 2; y < 30; y++) for (let x = 2; x < 30; x++) e[y * 32 + x] = f(32 / 49);
    return e;
  };
  const close = (got: ArrayLike<number>, want: number[], what: string) => {
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.ok(
        Math.abs(got[i] - want[i]) < 1e-5 * Math.max(1, Math.abs(want[i])),
        `${what}[${i}]: ${got[i]} vs ${want[i]}`,
      );
    }
  };
  const images = (x: Float32Array, n: number) =>
    Array.from({ length: n }, (_, i) => x.subarray(i * 1024, (i + 1) * 1024));
  /** The one image of `xs` whose pixel p is largest: identifies A (p = (2,2)) or C (p = (12,12)) after shuffling. */
  const pick = (xs: Float32Array[], p: number) => xs.reduce((a, b) => (b[p] > a[p] ? b : a));

  it('pads 28 -> 32, scales, GCN-L1, min-max with the normal training images only', () => {
    // contamination 1/3 with 2 normal images: floor(2 * (1/3) / (2/3)) = 1 injected image (B).
    const d = prepareTrialData(raw, { ...base, contamination: 1 / 3 });
    assert.deepEqual([d.height, d.width, d.channels, d.nTrain, d.nTest], [32, 32, 1, 3, 2]);
    // min over A and C (not B, whose zeros are at -32/15): A's zeros; max: C's pixel, 512.
    const min = gA(0);
    const mm = (x: number) => (x - min) / (512 - min);
    const xs = images(d.trainX, 3);
    const injected = d.trainY!.indexOf(1);
    assert.equal(
      d.trainY!.reduce((s, v) => s + v, 0),
      1,
    );
    close(xs[injected], expectB(mm), 'B');
    close(pick(xs, 2 * 32 + 2), expectA(mm), 'A');
    close(pick(xs, 12 * 32 + 12), expectC(mm), 'C');
    // The test split gets the same transform (train min/max, not its own).
    const ts = images(d.testX, 2);
    close(ts[0], expectA(mm), 'test A');
    close(ts[1], expectB(mm), 'test B');
    assert.deepEqual(Array.from(d.testY), [0, 1]);
  });

  it("minmax 'none' leaves the GCN values", () => {
    const d = prepareTrialData(raw, { ...base, minmax: 'none' });
    assert.equal(d.nTrain, 2);
    const id = (x: number) => x;
    const xs = images(d.trainX, 2);
    close(pick(xs, 2 * 32 + 2), expectA(id), 'A');
    close(pick(xs, 12 * 32 + 12), expectC(id), 'C');
    close(images(d.testX, 2)[1], expectB(id), 'test B');
  });

  it('GCN leaves a constant image at zeros instead of dividing by zero', () => {
    const x = new Float64Array(16).fill(0.7);
    gcnL1InPlace(x);
    assert.deepEqual(Array.from(x), new Array(16).fill(0));
    const y = Float64Array.from([0, 0, 0, 4]); // mean 1, mad (1+1+1+3)/4 = 1.5
    gcnL1InPlace(y);
    assert.deepEqual(Array.from(y), [-1 / 1.5, -1 / 1.5, -1 / 1.5, 3 / 1.5]);
  });
});

/**
 * 10 classes, 1x1 float images whose value is the image's index (train) or
 * 1000 + index (test), preprocessed with 'identity', so each output value
 * tells which image was picked.
 */
function indexed(nTrainPer = 20, nTestPer = 10): RawDataset {
  const nTr = nTrainPer * 10;
  const nTe = nTestPer * 10;
  return {
    name: 'indexed',
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
    source: 'test',
    preprocessing: 'identity',
    train: {
      images: Float32Array.from({ length: nTr }, (_, i) => i),
      labels: Uint8Array.from({ length: nTr }, (_, i) => i % 10),
      n: nTr,
      height: 1,
      width: 1,
      channels: 1,
    },
    test: {
      images: Float32Array.from({ length: nTe }, (_, i) => 1000 + i),
      labels: Uint8Array.from({ length: nTe }, (_, i) => i % 10),
      n: nTe,
      height: 1,
      width: 1,
      channels: 1,
    },
  };
}

describe('selection: train subsample, contamination, test subsample', () => {
  it('contaminationCount is floor(n r / (1 - r)), exact products not rounded down', () => {
    assert.equal(contaminationCount(60, 0.2), 15);
    assert.equal(contaminationCount(100, 0.05), 5); // 5.26
    assert.equal(contaminationCount(6000, 0.1), 666); // 666.67
    assert.equal(contaminationCount(6000, 0.25), 2000);
    assert.equal(contaminationCount(6000, 0.15), 1058); // 1058.82
    assert.equal(contaminationCount(500, 0), 0);
  });

  it('train = the normal class, plus floor(n r/(1-r)) images of other classes', () => {
    const raw = indexed();
    for (const r of [0, 0.05, 0.1, 0.25]) {
      const d = prepareTrialData(raw, { ...base, normalClass: 3, contamination: r });
      const k = contaminationCount(20, r);
      assert.equal(d.nTrain, 20 + k);
      const vals = Array.from(d.trainX);
      assert.equal(new Set(vals).size, vals.length, 'no image twice');
      vals.forEach((v, j) => assert.equal(raw.train.labels[v] === 3 ? 0 : 1, d.trainY![j], `image ${v}`));
      assert.equal(vals.filter((v) => v % 10 === 3).length, 20, 'every normal image kept');
    }
  });

  it('is deterministic per seed, and the seed changes the draw', () => {
    const raw = indexed(100, 10);
    const o = { ...base, normalClass: 5, contamination: 0.2, trainSize: 50, testSize: 40 };
    const a = prepareTrialData(raw, o);
    const b = prepareTrialData(raw, o);
    assert.deepEqual(a, b);
    const c = prepareTrialData(raw, { ...o, seed: 1 });
    assert.notDeepEqual(Array.from(c.trainX).sort(), Array.from(a.trainX).sort());
    assert.notDeepEqual(Array.from(c.testX), Array.from(a.testX));
    // trainSize: 50 distinct normal images out of 100
    const normal = Array.from(a.trainX).filter((_, j) => a.trainY![j] === 0);
    assert.equal(normal.length, 50);
    assert.ok(normal.every((v) => v % 10 === 5));
    assert.equal(a.nTrain, 50 + contaminationCount(50, 0.2));
  });

  it('the test subsample is the same for every normal class of a seed, stratified, in file order', () => {
    const raw = indexed(20, 30);
    const sub = (normalClass: number, seed = 7) => prepareTrialData(raw, { ...base, normalClass, seed, testSize: 50 });
    const t0 = sub(0);
    const picked = Array.from(t0.testX);
    for (const k of [1, 4, 9]) assert.deepEqual(Array.from(sub(k).testX), picked);
    assert.deepEqual(
      picked,
      [...picked].sort((x, y) => x - y),
      'file order',
    );
    const perClass = new Array(10).fill(0);
    for (const v of picked) perClass[(v - 1000) % 10]++;
    assert.deepEqual(perClass, new Array(10).fill(5));
    assert.deepEqual(
      Array.from(t0.testY),
      picked.map((v) => ((v - 1000) % 10 === 0 ? 0 : 1)),
    );
    assert.notDeepEqual(Array.from(sub(0, 8).testX), picked);
    // As many images as classes: one of each, so both labels are present.
    const small = prepareTrialData(raw, { ...base, normalClass: 0, seed: 7, testSize: 10 });
    assert.equal(small.testY.filter((y) => y === 0).length, 1);
  });

  it('errors name the fix', () => {
    const raw = indexed();
    const err = (o: Partial<TrialDataOptions>, ...frag: string[]) =>
      assert.throws(
        () => prepareTrialData(raw, { ...base, ...o }),
        (e: unknown) => e instanceof DatasetError && frag.every((f) => e.message.includes(f)),
      );
    err({ normalClass: 10 }, 'normal class 10', '0..9', 'grid.normalClass');
    err({ contamination: 1 }, 'grid.contamination');
    err({ trainSize: 0 }, 'dataset.trainSize');
    err({ testSize: 1 }, 'AUROC needs both', 'raise dataset.testSize');
    // 20 normal images at r = 0.9 need 180 others; there are 180: fine. 0.95 needs 380: not.
    assert.equal(prepareTrialData(raw, { ...base, contamination: 0.9 }).nTrain, 200);
    err({ contamination: 0.95 }, 'needs 380 images of other classes', 'has 180');
  });

  it("'symmetric' scales bytes to [-1, 1], ignores minmax; anomaly flags make the test per class", () => {
    const raw: RawDataset = {
      name: 's',
      classNames: ['a', 'b'],
      source: 'test',
      preprocessing: 'symmetric',
      train: {
        images: Uint8Array.from([0, 255, 51, 204, 9, 9]),
        labels: Uint8Array.from([0, 0, 1]),
        n: 3,
        height: 1,
        width: 1,
        channels: 2,
      },
      test: {
        images: Uint8Array.from([0, 255, 7, 7, 51, 204]),
        labels: Uint8Array.from([0, 1, 0]),
        anomaly: Uint8Array.from([0, 1, 1]),
        n: 3,
        height: 1,
        width: 1,
        channels: 2,
      },
    };
    const d = prepareTrialData(raw, { ...base, normalClass: 0, minmax: 'train' });
    assert.equal(d.nTrain, 2);
    const pairs = [
      [d.trainX[0], d.trainX[1]],
      [d.trainX[2], d.trainX[3]],
    ].sort((p, q) => p[0] - q[0]);
    assert.deepEqual(pairs, [
      [-1, 1],
      [Math.fround(51 / 127.5 - 1), Math.fround(204 / 127.5 - 1)],
    ]);
    // class 0's test images are records 0 and 2; record 2 is flagged anomalous; record 1 (class 1) is not used.
    assert.equal(d.nTest, 2);
    assert.deepEqual(Array.from(d.testY), [0, 1]);
    assert.deepEqual(Array.from(d.testX), [-1, 1, Math.fround(51 / 127.5 - 1), Math.fround(204 / 127.5 - 1)]);
  });
});

const real = existsSync(`${FASHION_MNIST_SYSTEM_DIR}train-images-idx3-ubyte.gz`);
describe('on the real Fashion-MNIST', { skip: !real && 'not installed' }, () => {
  it('prepares class 0 deterministically, normal training images in [0, 1]', async () => {
    const raw = await loadFashionMnist(FASHION_MNIST_SYSTEM_DIR);
    const o: TrialDataOptions = {
      normalClass: 0,
      seed: 3,
      contamination: 0.1,
      minmax: 'train',
      trainSize: 500,
      testSize: 1000,
    };
    const a = prepareTrialData(raw, o);
    const b = prepareTrialData(raw, o);
    assert.deepEqual(Buffer.from(a.trainX.buffer), Buffer.from(b.trainX.buffer));
    assert.deepEqual(Buffer.from(a.testX.buffer), Buffer.from(b.testX.buffer));
    assert.deepEqual([a.height, a.width, a.channels, a.nTrain, a.nTest], [32, 32, 1, 555, 1000]);
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < a.nTrain; j++) {
      if (a.trainY![j]) continue;
      for (let i = j * 1024; i < (j + 1) * 1024; i++) {
        lo = Math.min(lo, a.trainX[i]);
        hi = Math.max(hi, a.trainX[i]);
      }
    }
    assert.ok(Math.abs(lo) < 1e-6 && Math.abs(hi - 1) < 1e-6, `${lo}..${hi}`);
    assert.equal(a.testY.filter((y) => y === 0).length, 100);
  });
});
