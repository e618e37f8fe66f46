// From a decoded data set to one trial's arrays (docs/recipe.md, "Data"): pick the
// normal class's training images, inject seeded contamination, subsample the
// test split the same way for every trial of a seed, and preprocess.
// Pure: no IO, no global state; the same inputs give the same bytes.
import { DatasetError } from '../errors/index.js';
import { deriveSeed, mulberry32, sampleWithoutReplacement, shuffleInPlace } from './random.js';
import type { ImageSet, Preprocessing, RawDataset, TrialData, TrialDataOptions } from './types.js';

/** Images smaller than this are zero-padded to it (Fashion-MNIST 28 -> 32), as the LeNet encoder expects. */
export const PAD_TO = 32;

/**
 * Number of anomalies to inject so they are a fraction r of the training set:
 * floor(n * r / (1 - r)). The epsilon keeps exact products (e.g. 60 * 0.2 / 0.8
 * = 15) from flooring to one less through float rounding.
 */
export function contaminationCount(nNormal: number, r: number): number {
  if (r <= 0) return 0;
  return Math.floor((nNormal * r) / (1 - r) + 1e-9);
}

/**
 * Global contrast normalisation, L1 (Deep SVDD's global_contrast_normalization
 * with scale 'l1'): subtract the image mean, divide by the mean absolute
 * deviation. In place on one image. A constant image (deviation 0) is left at
 * zeros rather than divided by zero.
 */
export function gcnL1InPlace(x: Float64Array): void {
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = sum / n;
  let dev = 0;
  for (let i = 0; i < n; i++) {
    x[i] -= mean;
    dev += Math.abs(x[i]);
  }
  dev /= n;
  // A constant image leaves only rounding noise (~1e-17) after subtracting the
  // mean; dividing that by itself would blow noise up to +-1.
  if (dev <= 1e-9 * Math.max(1, Math.abs(mean))) x.fill(0);
  else for (let i = 0; i < n; i++) x[i] /= dev;
}

/** Output size of an image after the zero padding of 'gcn-l1'. */
export function paddedSize(
  height: number,
  width: number,
): { height: number; width: number; top: number; left: number } {
  if (height >= PAD_TO && width >= PAD_TO) return { height, width, top: 0, left: 0 };
  const h = Math.max(height, PAD_TO);
  const w = Math.max(width, PAD_TO);
  return { height: h, width: w, top: (h - height) >> 1, left: (w - width) >> 1 };
}

interface Block {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Preprocess the images `indices` of `set` (in that order), before any min-max. */
export function preprocessImages(set: ImageSet, indices: readonly number[], kind: Preprocessing): Block {
  const { height, width, channels } = set;
  const per = height * width * channels;
  const isByte = set.images instanceof Uint8Array;
  if (kind === 'identity' || kind === 'symmetric') {
    const out = new Float32Array(indices.length * per);
    for (let k = 0; k < indices.length; k++) {
      const src = indices[k] * per;
      const dst = k * per;
      for (let i = 0; i < per; i++) {
        const v = set.images[src + i];
        out[dst + i] = kind === 'symmetric' && isByte ? v / 127.5 - 1 : v;
      }
    }
    return { data: out, height, width, channels };
  }
  const pad = paddedSize(height, width);
  const outPer = pad.height * pad.width * channels;
  const out = new Float32Array(indices.length * outPer);
  const img = new Float64Array(outPer);
  const scale = isByte ? 1 / 255 : 1;
  const rowOut = pad.width * channels;
  const rowIn = width * channels;
  for (let k = 0; k < indices.length; k++) {
    img.fill(0);
    const src = indices[k] * per;
    for (let y = 0; y < height; y++) {
      const o = (y + pad.top) * rowOut + pad.left * channels;
      const s = src + y * rowIn;
      for (let i = 0; i < rowIn; i++) img[o + i] = set.images[s + i] * scale;
    }
    // GCN over the padded image, zeros included, as the authors' transform
    // pipeline pads before normalising.
    gcnL1InPlace(img);
    out.set(img, k * outPer);
  }
  return { data: out, height: pad.height, width: pad.width, channels };
}

/** min and max over all values. */
export function minMaxOf(data: Float32Array, start = 0, end = data.length): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** (x - min) / (max - min) in place; a zero range only subtracts min. */
export function applyMinMaxInPlace(data: Float32Array, min: number, max: number): void {
  const range = max - min;
  const inv = range > 0 ? 1 / range : 1;
  for (let i = 0; i < data.length; i++) data[i] = (data[i] - min) * inv;
}

/**
 * A stratified seeded subsample of `pool` of size `size`: each stratum keeps
 * its share (largest remainders), and every stratum keeps at least one item
 * when size allows, so a small test set still has every class. Returned in
 * pool order (sorted), so the test order is fixed.
 */
export function stratifiedSubsample(
  pool: readonly number[],
  strataOf: (i: number) => number,
  size: number,
  rand: () => number,
): number[] {
  if (size >= pool.length) return [...pool];
  const strata = new Map<number, number[]>();
  for (const i of pool) {
    const s = strataOf(i);
    let list = strata.get(s);
    if (!list) strata.set(s, (list = []));
    list.push(i);
  }
  const keys = [...strata.keys()].sort((a, b) => a - b);
  const quota = new Map<number, number>();
  const frac: { key: number; frac: number }[] = [];
  let given = 0;
  for (const key of keys) {
    const exact = (size * strata.get(key)!.length) / pool.length;
    const q = Math.floor(exact);
    quota.set(key, q);
    given += q;
    frac.push({ key, frac: exact - q });
  }
  frac.sort((a, b) => b.frac - a.frac || a.key - b.key);
  for (let i = 0; given < size; i++, given++) {
    const key = frac[i % frac.length].key;
    quota.set(key, quota.get(key)! + 1);
  }
  if (size >= keys.length) {
    // Lift empty strata to one, taking from the largest quota.
    for (const key of keys) {
      if (quota.get(key)! > 0) continue;
      const donor = keys.reduce((a, b) => (quota.get(b)! > quota.get(a)! ? b : a));
      quota.set(donor, quota.get(donor)! - 1);
      quota.set(key, 1);
    }
  }
  const picked: number[] = [];
  for (const key of keys) picked.push(...sampleWithoutReplacement(strata.get(key)!, quota.get(key)!, rand));
  return picked.sort((a, b) => a - b);
}

function checkOptions(raw: RawDataset, opts: TrialDataOptions): void {
  const nClasses = raw.classNames.length;
  const where = `${raw.name} (${raw.source})`;
  if (!Number.isInteger(opts.normalClass) || opts.normalClass < 0 || opts.normalClass >= nClasses) {
    throw new DatasetError(
      `normal class ${opts.normalClass} does not exist: this data set has ${nClasses} classes, 0..${nClasses - 1} ` +
        `(${raw.classNames.join(', ')}); fix grid.normalClass`,
      where,
    );
  }
  if (!(opts.contamination >= 0 && opts.contamination < 1)) {
    throw new DatasetError(`contamination ${opts.contamination} is outside [0, 1); fix grid.contamination`, where);
  }
  for (const key of ['trainSize', 'testSize'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new DatasetError(`${key} ${v} must be a positive integer; fix dataset.${key}`, where);
    }
  }
}

/** One trial's data. See the file header and docs/recipe.md, "Data". */
export function prepareTrialData(raw: RawDataset, opts: TrialDataOptions): TrialData {
  checkOptions(raw, opts);
  const k = opts.normalClass;
  const where = `${raw.name} (${raw.source})`;
  const kind: Preprocessing = raw.preprocessing ?? 'gcn-l1';

  // Training images: the normal class, seeded subsample.
  const normal: number[] = [];
  const others: number[] = [];
  const trLab = raw.train.labels;
  for (let i = 0; i < raw.train.n; i++) (trLab[i] === k ? normal : others).push(i);
  if (normal.length === 0) {
    throw new DatasetError(`class ${k} (${raw.classNames[k]}) has no training images`, where);
  }
  let used = normal;
  if (opts.trainSize !== undefined && opts.trainSize < normal.length) {
    used = sampleWithoutReplacement(normal, opts.trainSize, mulberry32(deriveSeed('train', opts.seed, k))).sort(
      (a, b) => a - b,
    );
  }

  // Contamination: other classes' training images, seeded.
  const nInject = contaminationCount(used.length, opts.contamination);
  if (nInject > others.length) {
    throw new DatasetError(
      `contamination ${opts.contamination} needs ${nInject} images of other classes, the training split has ` +
        `${others.length}${others.length === 0 ? ' (this data set has no anomalies in its training split)' : ''}; ` +
        `lower grid.contamination or dataset.trainSize`,
      where,
    );
  }
  const injected = sampleWithoutReplacement(others, nInject, mulberry32(deriveSeed('contamination', opts.seed, k)));

  // Mix, so injected images are not all at the end (sequence-mode LSTM batches see order).
  const order: [number, 0 | 1][] = [
    ...used.map((i) => [i, 0] as [number, 0]),
    ...injected.map((i) => [i, 1] as [number, 1]),
  ];
  shuffleInPlace(order, mulberry32(deriveSeed('train-order', opts.seed, k)));

  // Test: one-vs-rest over the whole split, or within class k when the set
  // carries its own anomaly flags (MVTec). The one-vs-rest subsample does not
  // depend on the normal class, so every trial of a seed sees the same images.
  const test = raw.test;
  const perClass = test.anomaly !== undefined;
  let pool: number[];
  if (perClass) {
    pool = [];
    for (let i = 0; i < test.n; i++) if (test.labels[i] === k) pool.push(i);
  } else {
    pool = Array.from({ length: test.n }, (_, i) => i);
  }
  const isAnomaly = (i: number): number => (perClass ? (test.anomaly![i] ? 1 : 0) : test.labels[i] === k ? 0 : 1);
  let testIdx = pool;
  if (opts.testSize !== undefined && opts.testSize < pool.length) {
    const rand = mulberry32(perClass ? deriveSeed('test', opts.seed, k) : deriveSeed('test', opts.seed));
    testIdx = stratifiedSubsample(pool, perClass ? isAnomaly : (i) => test.labels[i], opts.testSize, rand);
  }
  const testY = new Uint8Array(testIdx.length);
  let nAnom = 0;
  for (let j = 0; j < testIdx.length; j++) nAnom += testY[j] = isAnomaly(testIdx[j]);
  if (nAnom === 0 || nAnom === testIdx.length) {
    throw new DatasetError(
      `the test set for class ${k} (${raw.classNames[k]}) has ${nAnom === 0 ? 'no anomalous' : 'no normal'} images ` +
        `(${testIdx.length} images${opts.testSize !== undefined ? `, testSize ${opts.testSize}` : ''}); AUROC needs both: ` +
        (opts.testSize !== undefined ? 'raise dataset.testSize' : 'check the data set'),
      where,
    );
  }

  const trainBlock = preprocessImages(
    raw.train,
    order.map(([i]) => i),
    kind,
  );
  const testBlock = preprocessImages(test, testIdx, kind);
  const trainY = Uint8Array.from(order, ([, y]) => y);

  if (kind === 'gcn-l1' && opts.minmax === 'train') {
    // min and max over the normal images actually used (not the injected ones):
    // the recipe's per-class table, computed on this trial's training set.
    const per = trainBlock.height * trainBlock.width * trainBlock.channels;
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < order.length; j++) {
      if (trainY[j]) continue;
      const m = minMaxOf(trainBlock.data, j * per, (j + 1) * per);
      if (m.min < min) min = m.min;
      if (m.max > max) max = m.max;
    }
    applyMinMaxInPlace(trainBlock.data, min, max);
    applyMinMaxInPlace(testBlock.data, min, max);
  }

  return {
    height: trainBlock.height,
    width: trainBlock.width,
    channels: trainBlock.channels,
    trainX: trainBlock.data,
    nTrain: order.length,
    trainY,
    testX: testBlock.data,
    testY,
    nTest: testIdx.length,
  };
}
