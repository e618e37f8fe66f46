// CIFAR-10, binary version (cifar-10-binary.tar.gz): data_batch_1..5.bin and
// test_batch.bin, each a run of 3073-byte records: 1 label byte, then 1024 red,
// 1024 green, 1024 blue bytes (row-major 32x32). batches.meta.txt holds the
// class names, one a line.
import { join, resolve } from 'node:path';
import { DatasetError } from '../errors/index.js';
import { DATASETS } from '../study/datasets.js';
import { readMaybeGzip } from './idx.js';
import type { ImageSet, RawDataset } from './types.js';
import { exists, readDataFile, type ReadOptions } from './fs.js';

// Class names and image side: the data-set table (src/study/datasets.ts).
export const CIFAR10_CLASSES = DATASETS.cifar10.classes;

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_META_FILE = 'batches.meta.txt';
/** Side of a CIFAR-10 image. */
export const CIFAR10_SIDE = DATASETS.cifar10.side;
const SIDE = CIFAR10_SIDE;
const PIXELS = SIDE * SIDE;
export const CIFAR10_RECORD = 1 + 3 * PIXELS;

const HOW_TO_GET =
  'download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it, ' +
  "and set CIFAR10_DIR (or the study's dataset.dir) to the cifar-10-batches-bin folder";

/** Folders searched, in order; an explicit dir is the only place looked at. */
export function cifar10SearchPath(dir?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const withSub = (d: string) => [resolve(d), resolve(d, 'cifar-10-batches-bin')];
  if (dir) return withSub(dir);
  const places: string[] = [];
  if (env.CIFAR10_DIR) places.push(...withSub(env.CIFAR10_DIR));
  places.push(...withSub('data/cifar10'), resolve('data/cifar-10-batches-bin'));
  return places;
}

/** The folder holding the batches (test_batch.bin marks it). */
export async function locateCifar10(dir?: string): Promise<string> {
  const places = cifar10SearchPath(dir);
  for (const place of places) {
    if (!(await exists(join(place, CIFAR10_TEST_FILE)))) continue;
    const missing: string[] = [];
    for (const f of CIFAR10_TRAIN_FILES) if (!(await exists(join(place, f)))) missing.push(f);
    if (missing.length > 0) {
      throw new DatasetError(`CIFAR-10 is incomplete here: missing ${missing.join(', ')}; ${HOW_TO_GET}`, place);
    }
    return place;
  }
  throw new DatasetError(`CIFAR-10 not found; searched ${places.map((p) => `"${p}"`).join(', ')}; ${HOW_TO_GET}`);
}

/**
 * Decode the records of one batch file into `out` (NHWC, uint8) from image
 * `offset` on. Channel-major (all red, then green, then blue) becomes
 * interleaved RGB per pixel. Pure apart from the arguments it fills.
 */
export function decodeCifarRecords(
  bytes: Uint8Array,
  where: string,
  nClasses: number,
  images: Uint8Array,
  labels: Uint8Array,
  offset: number,
): number {
  const whole = Math.floor(bytes.length / CIFAR10_RECORD);
  const rest = bytes.length - whole * CIFAR10_RECORD;
  if (rest !== 0) {
    throw new DatasetError(
      `record ${whole} is truncated: ${rest} of ${CIFAR10_RECORD} bytes ` +
        `(the file has ${bytes.length} bytes, not a multiple of ${CIFAR10_RECORD}); ${HOW_TO_GET}`,
      where,
    );
  }
  for (let r = 0; r < whole; r++) {
    const s = r * CIFAR10_RECORD;
    const label = bytes[s];
    if (label >= nClasses) {
      throw new DatasetError(`record ${r} has label ${label}, not a class 0..${nClasses - 1}; ${HOW_TO_GET}`, where);
    }
    const n = offset + r;
    labels[n] = label;
    const o = n * PIXELS * 3;
    for (let p = 0; p < PIXELS; p++) {
      images[o + 3 * p] = bytes[s + 1 + p];
      images[o + 3 * p + 1] = bytes[s + 1 + PIXELS + p];
      images[o + 3 * p + 2] = bytes[s + 1 + 2 * PIXELS + p];
    }
  }
  return whole;
}

async function readSet(dir: string, files: readonly string[], nClasses: number, opts: ReadOptions): Promise<ImageSet> {
  const blobs = await Promise.all(files.map((f) => readMaybeGzip(join(dir, f), HOW_TO_GET, opts)));
  const total = blobs.reduce((s, b) => s + Math.floor(b.length / CIFAR10_RECORD), 0);
  const images = new Uint8Array(total * PIXELS * 3);
  const labels = new Uint8Array(total);
  let n = 0;
  for (let i = 0; i < files.length; i++)
    n += decodeCifarRecords(blobs[i], join(dir, files[i]), nClasses, images, labels, n);
  return { images, labels, n, height: SIDE, width: SIDE, channels: 3 };
}

async function readClassNames(dir: string, opts: ReadOptions): Promise<readonly string[]> {
  const path = join(dir, CIFAR10_META_FILE);
  // The meta file only names the classes; the published order is known.
  if (!(await exists(path))) return CIFAR10_CLASSES;
  const text = (await readDataFile(path, HOW_TO_GET, opts)).toString('utf8');
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length !== 10) {
    throw new DatasetError(`expected 10 class names, one a line, found ${names.length}; ${HOW_TO_GET}`, path);
  }
  return names;
}

/** Read CIFAR-10 (uint8 NHWC, 32x32x3). */
export async function loadCifar10(dir?: string, opts: ReadOptions = {}): Promise<RawDataset> {
  const place = await locateCifar10(dir);
  const classNames = await readClassNames(place, opts);
  const [train, test] = await Promise.all([
    readSet(place, CIFAR10_TRAIN_FILES, classNames.length, opts),
    readSet(place, [CIFAR10_TEST_FILE], classNames.length, opts),
  ]);
  return { name: 'cifar10', classNames, train, test, source: place };
}
