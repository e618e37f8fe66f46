// Fashion-MNIST: four IDX files, gzipped (as distributed) or raw.
import { join, resolve } from 'node:path';
import { DatasetError } from '../errors/index.js';
import { DATASETS } from '../study/datasets.js';
import { readIdx, type IdxArray } from './idx.js';
import type { ImageSet, RawDataset } from './types.js';
import { exists, type ReadOptions } from './fs.js';

// Class names and image side: the data-set table (src/study/datasets.ts).
export const FASHION_MNIST_CLASSES = DATASETS['fashion-mnist'].classes;

/** Side of a Fashion-MNIST image (prepareTrialData pads it to 32). */
export const FASHION_MNIST_SIDE = DATASETS['fashion-mnist'].side;

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist/';

const HOW_TO_GET =
  'install it with "apt-get install dataset-fashion-mnist" (Debian), ' +
  "or download the four *-ubyte.gz files and set FASHION_MNIST_DIR (or the study's dataset.dir) to their folder";

/** The file for `base` in `dir`: `base.gz` first, then `base` raw; undefined when neither. */
async function findFile(dir: string, base: string): Promise<string | undefined> {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (await exists(p)) return p;
  }
  return undefined;
}

/**
 * The folders searched, in order. An explicit `dir` (argument or study) is the
 * only place looked at: a typo in it must not silently train on another copy.
 */
export function fashionMnistSearchPath(dir?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (dir) return [resolve(dir)];
  const places: string[] = [];
  if (env.FASHION_MNIST_DIR) places.push(resolve(env.FASHION_MNIST_DIR));
  places.push(resolve('data/fashion-mnist'), FASHION_MNIST_SYSTEM_DIR);
  return places;
}

export interface FashionMnistLocation {
  readonly dir: string;
  readonly files: { readonly [K in keyof typeof FASHION_MNIST_FILES]: string };
}

/**
 * The first folder of the search path holding Fashion-MNIST. A folder with
 * some of the four files but not all is an error (a broken download), not a
 * reason to look further.
 */
export async function locateFashionMnist(dir?: string): Promise<FashionMnistLocation> {
  const places = fashionMnistSearchPath(dir);
  for (const place of places) {
    const found: Partial<Record<keyof typeof FASHION_MNIST_FILES, string>> = {};
    const missing: string[] = [];
    for (const [key, base] of Object.entries(FASHION_MNIST_FILES) as [keyof typeof FASHION_MNIST_FILES, string][]) {
      const f = await findFile(place, base);
      if (f) found[key] = f;
      else missing.push(`${base}(.gz)`);
    }
    if (missing.length === 0) return { dir: place, files: found as FashionMnistLocation['files'] };
    if (missing.length < 4) {
      throw new DatasetError(`Fashion-MNIST is incomplete here: missing ${missing.join(', ')}; ${HOW_TO_GET}`, place);
    }
  }
  throw new DatasetError(`Fashion-MNIST not found; searched ${places.map((p) => `"${p}"`).join(', ')}; ${HOW_TO_GET}`);
}

function toImageSet(images: IdxArray, labels: IdxArray, imagesPath: string, labelsPath: string): ImageSet {
  if (images.dtype !== 'u8' || images.dims.length !== 3) {
    throw new DatasetError(
      `expected IDX ubyte images with 3 dims (n, 28, 28), got ${images.dtype} with dims [${images.dims.join(', ')}]`,
      imagesPath,
    );
  }
  if (labels.dtype !== 'u8' || labels.dims.length !== 1) {
    throw new DatasetError(
      `expected IDX ubyte labels with 1 dim (n), got ${labels.dtype} with dims [${labels.dims.join(', ')}]`,
      labelsPath,
    );
  }
  const [n, height, width] = images.dims;
  if (labels.dims[0] !== n) {
    throw new DatasetError(
      `${labels.dims[0]} labels for ${n} images in ${imagesPath}; the two files are from different downloads, fetch both again`,
      labelsPath,
    );
  }
  const lab = labels.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    if (lab[i] >= FASHION_MNIST_CLASSES.length) {
      throw new DatasetError(`label ${lab[i]} of record ${i} is not a class 0..9; fetch the file again`, labelsPath);
    }
  }
  return { images: images.data as Uint8Array, labels: lab, n, height, width, channels: 1 };
}

/** Read Fashion-MNIST (uint8 NHWC, 28x28x1) from the first place of the search path that has it. */
export async function loadFashionMnist(dir?: string, opts: ReadOptions = {}): Promise<RawDataset> {
  const loc = await locateFashionMnist(dir);
  const [trI, trL, teI, teL] = await Promise.all([
    readIdx(loc.files.trainImages, opts),
    readIdx(loc.files.trainLabels, opts),
    readIdx(loc.files.testImages, opts),
    readIdx(loc.files.testLabels, opts),
  ]);
  return {
    name: 'fashion-mnist',
    classNames: FASHION_MNIST_CLASSES,
    train: toImageSet(trI, trL, loc.files.trainImages, loc.files.trainLabels),
    test: toImageSet(teI, teL, loc.files.testImages, loc.files.testLabels),
    source: loc.dir,
  };
}
