// The data folder's public face: load a data set by name (decoded once,
// shareable with worker threads), prepare one trial's arrays.
export type { ImageSet, Preprocessing, RawDataset, TrialData, TrialDataOptions } from './types.js';
export {
  loadDataset,
  checkNormalClasses,
  DATASET_NAMES,
  expectedInputShape,
  preparedShape,
  type DatasetSpec,
  type InputShape,
} from './load.js';
export { loadDatasetShared, toShared, isShared, DEFAULT_DATA_CACHE_DIR, type SharedLoadOptions } from './shared.js';
export { prepareTrialData, contaminationCount, gcnL1InPlace } from './prepare.js';
export { loadFashionMnist, FASHION_MNIST_CLASSES } from './fashion-mnist.js';
export { loadCifar10, CIFAR10_CLASSES } from './cifar10.js';
export { loadMvtec, mvtecCategories, MVTEC_CATEGORIES } from './mvtec.js';
export { loadWtbi, readWtbi, type WtbiOptions, type WtbiCounts } from './wtbi.js';
export { makeSynthetic, SYNTHETIC_CLASSES } from './synthetic.js';
export { readIdx, parseIdx } from './idx.js';
export { dataList, dataFetch, formatDataList, FETCHABLE, type DataSetStatus, type DataFetchOptions } from './cli.js';
export { dataFingerprint, readFingerprint, type DataFingerprint } from './fingerprint.js';
