// Names of the normal classes, per data set, as the paper's column headers
// print them, and the data set's title: both from the one data-set table
// (src/study/datasets.ts), which the data readers use too.
import { DATASETS, type DatasetName } from '../study/datasets.js';

export function classNames(dataset: DatasetName | null): readonly string[] {
  return dataset ? DATASETS[dataset].classes : [];
}

/** The column header of a normal class; "class 7" when the data set does not name it. */
export function className(dataset: DatasetName | null, normalClass: number): string {
  return classNames(dataset)[normalClass] ?? `class ${normalClass}`;
}

/** The data set's name as the paper writes it, for titles. */
export function datasetTitle(dataset: DatasetName | null): string {
  return dataset ? DATASETS[dataset].title : 'unknown data set';
}
