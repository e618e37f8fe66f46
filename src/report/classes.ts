// Names of the normal classes, per data set, as the paper's column headers
// print them. A copy of the readers' lists (src/data): the report must not
// import the data readers; test/report/classes.test.ts checks they agree.
import type { DatasetName } from '../study/schema.js';

const CLASS_NAMES: Readonly<Record<DatasetName, readonly string[]>> = {
  'fashion-mnist': ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'],
  cifar10: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  // MVTec AD: class index = position in the alphabetically sorted category list (docs/recipe.md, "Data").
  mvtec: [
    'bottle',
    'cable',
    'capsule',
    'carpet',
    'grid',
    'hazelnut',
    'leather',
    'metal_nut',
    'pill',
    'screw',
    'tile',
    'toothbrush',
    'transistor',
    'wood',
    'zipper',
  ],
  // WTBI: class 0 = normal (non-icing) periods, the paper's normal class; 1 = icing.
  wtbi: ['normal', 'icing'],
  synthetic: ['disk', 'square', 'h-stripes', 'v-stripes', 'plus', 'diagonal', 'ring', 'triangle', 'checker', 'dots'],
};

export function classNames(dataset: DatasetName | null): readonly string[] {
  return dataset ? CLASS_NAMES[dataset] : [];
}

/** The column header of a normal class; "class 7" when the data set does not name it. */
export function className(dataset: DatasetName | null, normalClass: number): string {
  return classNames(dataset)[normalClass] ?? `class ${normalClass}`;
}

/** The data set's name as the paper writes it, for titles. */
export function datasetTitle(dataset: DatasetName | null): string {
  switch (dataset) {
    case 'fashion-mnist':
      return 'Fashion-MNIST';
    case 'cifar10':
      return 'CIFAR-10';
    case 'mvtec':
      return 'MVTec AD';
    case 'wtbi':
      return 'WTBI';
    case 'synthetic':
      return 'synthetic shapes';
    default:
      return 'unknown data set';
  }
}
