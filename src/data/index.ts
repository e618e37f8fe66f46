// The data folder's public face: load a data set by name, prepare a trial's data.
import { DatasetError } from '../errors/index.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { makeSynthetic } from './synthetic.js';
import type { RawDataset } from './types.js';

export type { ImageSet, Preprocessing, RawDataset, TrialData, TrialDataOptions } from './types.js';
export { prepareTrialData, contaminationCount, gcnL1InPlace } from './prepare.js';
export { loadFashionMnist, FASHION_MNIST_CLASSES } from './fashion-mnist.js';
export { makeSynthetic, SYNTHETIC_CLASSES } from './synthetic.js';
export { readIdx, parseIdx } from './idx.js';

/** What a loader needs from the study's `dataset` (structurally the study's Dataset). */
export interface DatasetSpec {
  readonly name: string;
  readonly dir?: string;
  readonly file?: string;
}

export const DATASET_NAMES = ['fashion-mnist', 'cifar10', 'mvtec', 'wtbi', 'synthetic'] as const;

/** Decode a data set (uint8 or float NHWC, not yet preprocessed). */
export async function loadDataset(spec: DatasetSpec): Promise<RawDataset> {
  switch (spec.name) {
    case 'fashion-mnist':
      return loadFashionMnist(spec.dir);
    case 'synthetic':
      return makeSynthetic();
    default:
      throw new DatasetError(
        `unknown data set "${spec.name}"; use one of ${DATASET_NAMES.join(', ')}`,
        'dataset.name',
      );
  }
}
