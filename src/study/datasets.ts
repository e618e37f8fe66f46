// The one table of data sets. Every fact about a data set that is known
// without reading it is here and only here: its classes and their names
// (the paper's column headers), how many of them can be the normal class,
// the stored image shape and its preprocessing, the network its images get,
// its title and the paper tables of its results. The schema's `DatasetName`
// enum (schema.ts), the study check of normalClass (load.ts), the readers'
// class lists and sizes (src/data), the network choice (src/models) and the
// report's columns and titles (src/report) all derive from it. Adding a data
// set means a row here and its reader in src/data;
// test/study/tables.test.ts checks the rest knows it.
//
// Plain data with no imports, so that the schema can derive its enum from it.

/** How a reader's images are turned into network input (src/data/prepare.ts). */
export type Preprocessing = 'gcn-l1' | 'symmetric' | 'identity';

export interface DatasetTraits {
  /** The name as the paper writes it, for titles. */
  readonly title: string;
  /** Class names by class index, as the paper's column headers print them. */
  readonly classes: readonly string[];
  /** Classes 0..normalClasses-1 can be a study's normal class (WTBI: only its normal periods). */
  readonly normalClasses: number;
  /** Side of the stored square images, before preprocessing ('gcn-l1' pads to 32). */
  readonly side: number;
  readonly channels: number;
  readonly preprocessing: Preprocessing;
  /**
   * The network its images get when the study names none (schema.ts's
   * `NetworkName`). src/models/network.ts chooses it from the image shape
   * (64x64: mvtec), which knows no data set; test/study/tables.test.ts checks
   * that the two agree for every entry.
   */
  readonly network: 'lenet' | 'mvtec';
  /** The paper's tables of its results, by kind (none for data the paper does not use). */
  readonly paperTables: { readonly main?: string; readonly ablation?: string };
  /**
   * Published groups of its classes, by group name (MVTec AD: textures and
   * objects); each class in exactly one group. Absent when the data set
   * publishes none.
   */
  readonly classGroups?: Readonly<Record<string, readonly string[]>>;
}

/** Literal-typed, so that the names are a derived type. */
const TABLE = {
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    classes: ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'],
    normalClasses: 10,
    side: 28,
    channels: 1,
    preprocessing: 'gcn-l1',
    network: 'lenet',
    paperTables: { main: 'Table II', ablation: 'Table VI' },
  },
  cifar10: {
    title: 'CIFAR-10',
    classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    normalClasses: 10,
    side: 32,
    channels: 3,
    preprocessing: 'gcn-l1',
    network: 'lenet',
    paperTables: { main: 'Table I', ablation: 'Table V' },
  },
  mvtec: {
    title: 'MVTec AD',
    // Its 15 published categories, each a folder of the same name in a copy
    // (src/data/mvtec.ts checks the folders it finds against this list).
    // Class index = position in this alphabetically sorted list (docs/recipe.md,
    // "Data"), whichever categories a copy holds.
    classes: [
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
    normalClasses: 15,
    side: 64,
    channels: 3,
    preprocessing: 'symmetric',
    network: 'mvtec',
    paperTables: { main: 'Table IV' },
    // As MVTec AD's paper (Bergmann et al., CVPR 2019) groups them.
    classGroups: {
      texture: ['carpet', 'grid', 'leather', 'tile', 'wood'],
      object: [
        'bottle',
        'cable',
        'capsule',
        'hazelnut',
        'metal_nut',
        'pill',
        'screw',
        'toothbrush',
        'transistor',
        'zipper',
      ],
    },
  },
  wtbi: {
    title: 'WTBI',
    // Class 0 = normal (non-icing) periods, the paper's normal class; 1 = icing.
    classes: ['normal', 'icing'],
    normalClasses: 1,
    side: 32,
    channels: 1,
    preprocessing: 'identity',
    network: 'lenet',
    paperTables: { main: 'Table III' },
  },
  synthetic: {
    title: 'synthetic shapes',
    classes: ['disk', 'square', 'h-stripes', 'v-stripes', 'plus', 'diagonal', 'ring', 'triangle', 'checker', 'dots'],
    normalClasses: 10,
    side: 32,
    channels: 1,
    preprocessing: 'gcn-l1',
    network: 'lenet',
    paperTables: {},
  },
} as const satisfies Record<string, DatasetTraits>;

export type DatasetName = keyof typeof TABLE;

export const DATASETS: Readonly<Record<DatasetName, DatasetTraits>> = TABLE;

/** The data sets of the table, in its order: schema.ts's `DatasetName` enum. */
export const DATASET_NAMES = Object.keys(TABLE) as [DatasetName, ...DatasetName[]];

export function datasetTraits(name: DatasetName): DatasetTraits {
  return DATASETS[name];
}

/** Whether a string names a data set of the table (for readers given a name from outside the schema). */
export function isDatasetName(name: string): name is DatasetName {
  return Object.prototype.hasOwnProperty.call(DATASETS, name);
}
