// Load a data set by name: the dispatcher behind index.ts's loadDataset.
import { DatasetError } from '../errors/index.js';
import { DATASET_NAMES, DATASETS, isDatasetName } from '../study/datasets.js';
import { loadCifar10 } from './cifar10.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMvtec, requireMvtecCategories } from './mvtec.js';
import { paddedSize } from './prepare.js';
import { makeSynthetic } from './synthetic.js';
import type { Preprocessing, RawDataset } from './types.js';
import { loadWtbi } from './wtbi.js';
import type { ReadOptions } from './fs.js';

/** What a loader needs from the study's `dataset` (structurally the study's Dataset). */
export interface DatasetSpec {
  readonly name: string;
  readonly dir?: string;
  readonly file?: string;
}

export { DATASET_NAMES };

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
 * The network input each data set gives, known without reading it (its
 * stored shape in the data-set table, src/study/datasets.ts, then preparedShape): a study's arch is checked with it
 * before anything is read or written. The shape of the data actually read is
 * checked again after reading (preparedShape).
 */
export function expectedInputShape(name: string): InputShape | undefined {
  if (!isDatasetName(name)) return undefined;
  const { side, channels, preprocessing } = DATASETS[name];
  return preparedShape({ height: side, width: side, channels }, preprocessing);
}

/**
 * Refuses, before anything is read, normal classes whose data this host does
 * not have. Only an MVTec AD copy may hold some classes and not others (it is
 * published one category at a time too); every other data set's files hold
 * all its classes.
 */
export async function checkNormalClasses(spec: DatasetSpec, normalClasses: readonly number[]): Promise<void> {
  if (spec.name === 'mvtec') await requireMvtecCategories(spec.dir, normalClasses);
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
