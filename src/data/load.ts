// Load a data set by name: the dispatcher behind index.ts's loadDataset.
import { DatasetError } from '../errors/index.js';
import { CIFAR10_SIDE, loadCifar10 } from './cifar10.js';
import { FASHION_MNIST_SIDE, loadFashionMnist } from './fashion-mnist.js';
import { loadMvtec, MVTEC_SIZE } from './mvtec.js';
import { paddedSize } from './prepare.js';
import { makeSynthetic, SYNTHETIC_SIZE } from './synthetic.js';
import type { Preprocessing, RawDataset } from './types.js';
import { loadWtbi, WTBI_SIDE } from './wtbi.js';
import type { ReadOptions } from './fs.js';

/** What a loader needs from the study's `dataset` (structurally the study's Dataset). */
export interface DatasetSpec {
  readonly name: string;
  readonly dir?: string;
  readonly file?: string;
}

export const DATASET_NAMES = ['fashion-mnist', 'cifar10', 'mvtec', 'wtbi', 'synthetic'] as const;

/** The size of the images a trial's network gets. */
export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** What prepareTrialData makes of images stored at this size ('gcn-l1' pads them to 32x32). */
export function preparedShape(stored: InputShape, preprocessing: Preprocessing = 'gcn-l1'): InputShape {
  if (preprocessing !== 'gcn-l1') return { height: stored.height, width: stored.width, channels: stored.channels };
  const { height, width } = paddedSize(stored.height, stored.width);
  return { height, width, channels: stored.channels };
}

/**
 * The network input each data set gives, known without reading it (each
 * reader's fixed size, then preparedShape): a study's arch is checked with it
 * before anything is read or written. The shape of the data actually read is
 * checked again after reading (preparedShape).
 */
export function expectedInputShape(name: string): InputShape | undefined {
  const square = (side: number, channels: number, preprocessing?: Preprocessing) => preparedShape({ height: side, width: side, channels }, preprocessing);
  switch (name) {
    case 'fashion-mnist':
      return square(FASHION_MNIST_SIDE, 1);
    case 'cifar10':
      return square(CIFAR10_SIDE, 3);
    case 'mvtec':
      return square(MVTEC_SIZE, 3, 'symmetric');
    case 'wtbi':
      return square(WTBI_SIDE, 1, 'identity');
    case 'synthetic':
      return square(SYNTHETIC_SIZE, 1);
    default:
      return undefined;
  }
}

/** Decode a data set (uint8 or float NHWC, not yet preprocessed). Only regular files are read; `signal` aborts the reads. */
export async function loadDataset(spec: DatasetSpec, opts: ReadOptions = {}): Promise<RawDataset> {
  switch (spec.name) {
    case 'fashion-mnist':
      return loadFashionMnist(spec.dir, opts);
    case 'cifar10':
      return loadCifar10(spec.dir, opts);
    case 'mvtec':
      return loadMvtec(spec.dir, opts);
    case 'wtbi':
      return loadWtbi(spec, opts);
    case 'synthetic':
      return makeSynthetic();
    default:
      throw new DatasetError(`unknown data set "${spec.name}"; use one of ${DATASET_NAMES.join(', ')}`, 'dataset.name');
  }
}
