// The values the paper publishes (docs/recipe.md, "Sources"; Tables
// I-VII), as data, so an export can print them beside ours (`--compare paper`).
// Rows are keyed by the paper's row label, which is what modelLabel() prints
// ("Deep SVDD(h)", "IAE-LSTM-KL(s)"); MVTec's "Ours(h)" is IAE-LSTM-KL(h).
// `values` are per normal class in class-index order (the column order of the
// paper, which is our class order: see classes.ts); `avg` is the printed Avg.
// (every printed Avg. agrees with the mean of its row to within rounding).
import type { DatasetName } from '../study/schema.js';

export interface PaperRow {
  /** Per normal class, by class index. Table III: its one class; Table VII: none (averages only). */
  readonly values: readonly number[];
  /** The printed average over classes (Table III and VII: the one value). */
  readonly avg: number;
}

export interface PaperTable {
  readonly id: 'I' | 'II' | 'III' | 'IV' | 'V' | 'VI' | 'VII';
  /** Null where the paper does not say (Table VII). */
  readonly dataset: DatasetName | null;
  readonly kind: 'main' | 'ablation' | 'gates';
  readonly caption: string;
  /** What a reader comparing against this table should know. */
  readonly note?: string;
  readonly rows: Readonly<Record<string, PaperRow>>;
}

export const PAPER_TABLES: readonly PaperTable[] = [
  {
    id: 'I',
    dataset: 'cifar10',
    kind: 'main',
    caption: 'Table I: AUROC per normal class on CIFAR-10',
    rows: {
      'CAE': { values: [0.581, 0.531, 0.488, 0.571, 0.497, 0.601, 0.441, 0.557, 0.739, 0.612], avg: 0.562 },
      'MemAE': { values: [0.658, 0.537, 0.483, 0.593, 0.497, 0.621, 0.442, 0.57, 0.789, 0.624], avg: 0.581 },
      'VAE': { values: [0.629, 0.433, 0.618, 0.499, 0.73, 0.516, 0.679, 0.522, 0.668, 0.539], avg: 0.583 },
      'Gaussian AD': { values: [0.439, 0.498, 0.512, 0.552, 0.504, 0.547, 0.506, 0.546, 0.57, 0.527], avg: 0.52 },
      'LSA': { values: [0.621, 0.602, 0.48, 0.561, 0.606, 0.609, 0.658, 0.632, 0.78, 0.723], avg: 0.627 },
      'Deep SVDD(h)': { values: [0.621, 0.62, 0.486, 0.576, 0.569, 0.633, 0.578, 0.614, 0.777, 0.688], avg: 0.616 },
      'Deep SVDD(s)': { values: [0.616, 0.62, 0.481, 0.563, 0.563, 0.614, 0.588, 0.617, 0.772, 0.681], avg: 0.611 },
      'IAEAD(h)': { values: [0.637, 0.59, 0.5, 0.557, 0.597, 0.581, 0.637, 0.631, 0.725, 0.663], avg: 0.612 },
      'IAEAD(s)': { values: [0.632, 0.583, 0.506, 0.59, 0.543, 0.613, 0.582, 0.632, 0.768, 0.67], avg: 0.612 },
      'IAE-LSTM-KL(h)': { values: [0.78, 0.688, 0.613, 0.648, 0.706, 0.65, 0.759, 0.658, 0.798, 0.777], avg: 0.708 },
      'IAE-LSTM-KL(s)': { values: [0.761, 0.642, 0.611, 0.67, 0.703, 0.695, 0.725, 0.643, 0.752, 0.735], avg: 0.694 },
    },
  },
  {
    id: 'II',
    dataset: 'fashion-mnist',
    kind: 'main',
    caption: 'Table II: AUROC per normal class on Fashion-MNIST',
    rows: {
      'CAE': { values: [0.846, 0.966, 0.813, 0.855, 0.89, 0.571, 0.728, 0.942, 0.838, 0.984], avg: 0.843 },
      'MemAE': { values: [0.901, 0.987, 0.885, 0.916, 0.883, 0.898, 0.782, 0.988, 0.861, 0.98], avg: 0.908 },
      'VAE': { values: [0.896, 0.962, 0.863, 0.884, 0.894, 0.347, 0.773, 0.968, 0.853, 0.983], avg: 0.842 },
      'Gaussian AD': { values: [0.596, 0.834, 0.607, 0.671, 0.541, 0.366, 0.507, 0.577, 0.629, 0.524], avg: 0.585 },
      'LSA': { values: [0.886, 0.94, 0.862, 0.867, 0.895, 0.474, 0.766, 0.941, 0.916, 0.984], avg: 0.853 },
      'Deep SVDD(h)': { values: [0.86, 0.98, 0.836, 0.872, 0.892, 0.684, 0.758, 0.948, 0.934, 0.973], avg: 0.874 },
      'Deep SVDD(s)': { values: [0.863, 0.977, 0.851, 0.882, 0.891, 0.649, 0.775, 0.951, 0.923, 0.975], avg: 0.874 },
      'IAEAD(h)': { values: [0.878, 0.941, 0.871, 0.853, 0.907, 0.543, 0.781, 0.955, 0.891, 0.986], avg: 0.861 },
      'IAEAD(s)': { values: [0.864, 0.961, 0.851, 0.856, 0.895, 0.692, 0.759, 0.953, 0.879, 0.986], avg: 0.87 },
      'IAE-LSTM-KL(h)': { values: [0.915, 0.987, 0.905, 0.945, 0.928, 0.874, 0.814, 0.99, 0.955, 0.992], avg: 0.931 },
      'IAE-LSTM-KL(s)': { values: [0.887, 0.981, 0.891, 0.915, 0.912, 0.923, 0.815, 0.973, 0.944, 0.981], avg: 0.922 },
    },
  },
  {
    id: 'III',
    dataset: 'wtbi',
    kind: 'main',
    caption: 'Table III: AUROC on WTBI (one normal class)',
    rows: {
      'CAE': { values: [0.704], avg: 0.704 },
      'MemAE': { values: [0.69], avg: 0.69 },
      'VAE': { values: [0.392], avg: 0.392 },
      'Gaussian AD': { values: [0.595], avg: 0.595 },
      'LSA': { values: [0.685], avg: 0.685 },
      'Deep SVDD(h)': { values: [0.798], avg: 0.798 },
      'Deep SVDD(s)': { values: [0.823], avg: 0.823 },
      'IAEAD(h)': { values: [0.823], avg: 0.823 },
      'IAEAD(s)': { values: [0.894], avg: 0.894 },
      'IAE-LSTM-KL(h)': { values: [0.893], avg: 0.893 },
      'IAE-LSTM-KL(s)': { values: [0.963], avg: 0.963 },
    },
  },
  {
    id: 'IV',
    dataset: 'mvtec',
    kind: 'main',
    caption: 'Table IV: AUROC per category on MVTec AD (printed transposed: categories as rows; stored here per model)',
    rows: {
      'CAE': {
        values: [0.98, 0.768, 0.619, 0.532, 0.81, 0.86, 0.477, 0.569, 0.759, 0.482, 0.582, 0.985, 0.801, 0.914, 0.871],
        avg: 0.734,
      },
      'MemAE': {
        values: [0.973, 0.753, 0.627, 0.546, 0.8, 0.86, 0.748, 0.541, 0.759, 0.707, 0.541, 0.988, 0.771, 0.91, 0.853],
        avg: 0.759,
      },
      'VAE': {
        values: [
          0.506, 0.595, 0.523, 0.409, 0.643, 0.595, 0.416, 0.272, 0.441, 0.522, 0.708, 0.357, 0.603, 0.922, 0.36,
        ],
        avg: 0.525,
      },
      'Gaussian AD': {
        values: [
          0.678, 0.517, 0.563, 0.637, 0.437, 0.353, 0.976, 0.503, 0.525, 0.48, 0.723, 0.381, 0.438, 0.713, 0.651,
        ],
        avg: 0.572,
      },
      'LSA': {
        values: [
          0.888, 0.724, 0.555, 0.486, 0.749, 0.602, 0.402, 0.57, 0.703, 0.038, 0.678, 0.923, 0.741, 0.924, 0.657,
        ],
        avg: 0.643,
      },
      'Deep SVDD(h)': {
        values: [0.901, 0.839, 0.753, 0.704, 0.887, 0.718, 0.615, 0.877, 0.808, 0.137, 0.74, 1.0, 0.876, 0.757, 0.872],
        avg: 0.766,
      },
      'Deep SVDD(s)': {
        values: [
          0.925, 0.843, 0.616, 0.679, 0.505, 0.734, 0.492, 0.853, 0.806, 0.093, 0.738, 0.997, 0.847, 0.85, 0.798,
        ],
        avg: 0.718,
      },
      'IAEAD(h)': {
        values: [
          0.883, 0.673, 0.512, 0.569, 0.776, 0.667, 0.792, 0.323, 0.643, 0.328, 0.758, 0.902, 0.72, 0.969, 0.792,
        ],
        avg: 0.687,
      },
      'IAEAD(s)': {
        values: [
          0.886, 0.673, 0.529, 0.581, 0.804, 0.623, 0.647, 0.489, 0.643, 0.285, 0.701, 0.899, 0.763, 0.938, 0.564,
        ],
        avg: 0.668,
      },
      'IAE-LSTM-KL(h)': {
        values: [0.94, 0.856, 0.713, 0.8, 0.906, 0.756, 0.571, 0.735, 0.768, 0.963, 0.723, 1.0, 0.889, 0.927, 0.825],
        avg: 0.825,
      },
      'IAE-LSTM-KL(s)': {
        values: [0.945, 0.85, 0.716, 0.666, 0.904, 0.757, 0.662, 0.761, 0.758, 0.869, 0.796, 1.0, 0.9, 0.959, 0.877],
        avg: 0.828,
      },
    },
  },
  {
    id: 'V',
    dataset: 'cifar10',
    kind: 'ablation',
    caption: 'Table V: ablation models on CIFAR-10',
    rows: {
      'DSVDD-KL(h)': { values: [0.627, 0.626, 0.546, 0.544, 0.616, 0.608, 0.542, 0.624, 0.732, 0.671], avg: 0.614 },
      'DSVDD-KL(s)': { values: [0.629, 0.638, 0.562, 0.542, 0.595, 0.601, 0.589, 0.618, 0.741, 0.667], avg: 0.618 },
      'DLSVDD(h)': { values: [0.603, 0.634, 0.486, 0.61, 0.579, 0.644, 0.618, 0.647, 0.775, 0.723], avg: 0.632 },
      'DLSVDD(s)': { values: [0.605, 0.638, 0.495, 0.61, 0.573, 0.639, 0.621, 0.649, 0.778, 0.722], avg: 0.633 },
      'DLSVDD-KL(h)': { values: [0.689, 0.642, 0.528, 0.604, 0.585, 0.638, 0.625, 0.643, 0.782, 0.722], avg: 0.646 },
      'DLSVDD-KL(s)': { values: [0.62, 0.642, 0.521, 0.611, 0.603, 0.638, 0.632, 0.65, 0.78, 0.712], avg: 0.641 },
      'IAE-KL(h)': { values: [0.764, 0.659, 0.607, 0.649, 0.711, 0.68, 0.729, 0.658, 0.817, 0.766], avg: 0.704 },
      'IAE-KL(s)': { values: [0.768, 0.581, 0.538, 0.6, 0.629, 0.629, 0.679, 0.605, 0.777, 0.704], avg: 0.651 },
      'IAE-LSTM(h)': { values: [0.667, 0.68, 0.504, 0.633, 0.626, 0.636, 0.719, 0.645, 0.793, 0.76], avg: 0.666 },
      'IAE-LSTM(s)': { values: [0.708, 0.644, 0.549, 0.593, 0.625, 0.656, 0.663, 0.622, 0.767, 0.712], avg: 0.654 },
      'IAE-LSTM-KL(h)': { values: [0.78, 0.688, 0.613, 0.648, 0.706, 0.65, 0.759, 0.658, 0.798, 0.777], avg: 0.708 },
      'IAE-LSTM-KL(s)': { values: [0.761, 0.642, 0.611, 0.67, 0.703, 0.695, 0.725, 0.643, 0.752, 0.735], avg: 0.694 },
    },
  },
  {
    id: 'VI',
    dataset: 'fashion-mnist',
    kind: 'ablation',
    caption: 'Table VI: ablation models on Fashion-MNIST',
    note: "Its IAE-LSTM-KL(s) row repeats its DLSVDD-KL(s) row value for value (and Table II's IAE-LSTM-KL(s) row): likely a copy error in the paper; kept as printed.",
    rows: {
      'DSVDD-KL(h)': { values: [0.891, 0.978, 0.891, 0.904, 0.915, 0.829, 0.804, 0.974, 0.905, 0.991], avg: 0.908 },
      'DSVDD-KL(s)': { values: [0.887, 0.978, 0.89, 0.902, 0.916, 0.889, 0.804, 0.971, 0.911, 0.991], avg: 0.914 },
      'DLSVDD(h)': { values: [0.887, 0.981, 0.892, 0.909, 0.899, 0.869, 0.805, 0.972, 0.942, 0.978], avg: 0.913 },
      'DLSVDD(s)': { values: [0.884, 0.98, 0.888, 0.918, 0.908, 0.903, 0.813, 0.973, 0.934, 0.981], avg: 0.918 },
      'DLSVDD-KL(h)': { values: [0.884, 0.982, 0.895, 0.912, 0.903, 0.873, 0.809, 0.971, 0.948, 0.981], avg: 0.916 },
      'DLSVDD-KL(s)': { values: [0.887, 0.981, 0.891, 0.915, 0.912, 0.923, 0.815, 0.973, 0.944, 0.981], avg: 0.922 },
      'IAE-KL(h)': { values: [0.899, 0.979, 0.892, 0.912, 0.922, 0.838, 0.808, 0.989, 0.936, 0.991], avg: 0.917 },
      'IAE-KL(s)': { values: [0.906, 0.971, 0.868, 0.906, 0.913, 0.841, 0.809, 0.984, 0.921, 0.994], avg: 0.911 },
      'IAE-LSTM(h)': { values: [0.908, 0.987, 0.898, 0.942, 0.929, 0.873, 0.808, 0.989, 0.952, 0.99], avg: 0.928 },
      'IAE-LSTM(s)': { values: [0.92, 0.972, 0.865, 0.924, 0.91, 0.909, 0.782, 0.98, 0.915, 0.987], avg: 0.916 },
      'IAE-LSTM-KL(h)': { values: [0.915, 0.987, 0.905, 0.945, 0.928, 0.874, 0.814, 0.99, 0.955, 0.992], avg: 0.931 },
      'IAE-LSTM-KL(s)': { values: [0.887, 0.981, 0.891, 0.915, 0.912, 0.923, 0.815, 0.973, 0.944, 0.981], avg: 0.922 },
    },
  },
  {
    id: 'VII',
    dataset: null,
    kind: 'gates',
    caption: 'Table VII: IAE-LSTM-KL(h) with LSTM gates replaced by 1 (average AUROC)',
    note: "The text does not name the data set of Table VII. Its IAE-LSTM-KL(h) value (0.927) matches no average of Tables I-VI; the nearest is Fashion-MNIST's 0.931.",
    rows: {
      'IAE-LSTM-KL(h) w/o input gate': { values: [], avg: 0.926 },
      'IAE-LSTM-KL(h) w/o output gate': { values: [], avg: 0.922 },
      'IAE-LSTM-KL(h) w/o input and output gates': { values: [], avg: 0.866 },
      'IAE-LSTM-KL(h)': { values: [], avg: 0.927 },
    },
  },
];

export interface PaperLookup {
  readonly table: PaperTable['id'];
  readonly value: number;
}

/**
 * The paper's value for a row label and a normal class (or the row's average
 * when `normalClass` is 'avg'), in the table of that kind for that data set.
 * Gate tables are looked up whatever the data set, since Table VII names none
 * (the caller footnotes this).
 */
export function paperValue(
  dataset: DatasetName | null,
  kind: PaperTable['kind'],
  label: string,
  normalClass: number | 'avg',
): PaperLookup | null {
  for (const t of PAPER_TABLES) {
    if (t.kind !== kind) continue;
    if (kind !== 'gates' && t.dataset !== dataset) continue;
    const row = t.rows[label];
    if (!row) continue;
    const value = normalClass === 'avg' ? row.avg : row.values[normalClass];
    if (value !== undefined) return { table: t.id, value };
  }
  return null;
}

/** The tables the paper publishes for a data set, by kind. */
export function paperTablesFor(dataset: DatasetName | null, kind: PaperTable['kind']): PaperTable[] {
  return PAPER_TABLES.filter((t) => t.kind === kind && (kind === 'gates' || t.dataset === dataset));
}
