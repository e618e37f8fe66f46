// Load a data set by name: the dispatcher behind index.ts's loadDataset.
import { DatasetError } from '../errors/index.js';
import { loadCifar10 } from './cifar10.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMvtec } from './mvtec.js';
import { makeSynthetic } from './synthetic.js';
import type { RawDataset } from './types.js';
import { loadWtbi } from './wtbi.js';
import type { ReadOptions } from './fs.js';

/** What a loader needs from the study's `dataset` (structurally the study's Dataset). */
export interface DatasetSpec {
  readonly name: string;
  readonly dir?: string;
  readonly file?: string;
}

export const DATASET_NAMES = ['fashion-mnist', 'cifar10', 'mvtec', 'wtbi', 'synthetic'] as const;

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
