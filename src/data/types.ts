// The in-memory shapes of data sets. Images are NHWC float32 (or uint8 as
// decoded), labels are class indices.
import type { Preprocessing } from '../study/datasets.js';

export interface ImageSet {
  /** n * height * width * channels values, NHWC. */
  readonly images: Uint8Array | Float32Array;
  readonly labels: Uint8Array;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /**
   * Optional per-image anomaly flag (1 = anomalous), for data sets whose test
   * split is labelled good/defect within each class (MVTec AD). When the test
   * set has it, a trial for normal class k tests on class k's test images only,
   * with this flag as the label, instead of one-vs-rest over the whole split.
   */
  readonly anomaly?: Uint8Array;
}

/**
 * How prepareTrialData turns stored pixels into network input:
 * - 'gcn-l1' (default): zero-pad to 32x32 when smaller, scale uint8 to [0,1],
 *   global contrast normalisation (L1) per image, then min-max (TrialDataOptions.minmax).
 *   Fashion-MNIST, CIFAR-10, synthetic.
 * - 'symmetric': uint8 scaled to [-1,1]; minmax ignored. MVTec AD.
 * - 'identity': values used as stored (already scaled and padded); minmax ignored. WTBI.
 */
export type { Preprocessing };

export interface RawDataset {
  readonly name: string;
  readonly classNames: readonly string[];
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** Where it was read from, for provenance and errors. */
  readonly source: string;
  /** Absent = 'gcn-l1'. */
  readonly preprocessing?: Preprocessing;
}

/** The data of one trial, preprocessed as the recipe says, ready for tf.tensor4d. */
export interface TrialData {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Training images (normal class, plus injected anomalies when contaminated), NHWC in [0,1]-ish. */
  readonly trainX: Float32Array;
  readonly nTrain: number;
  /** 1 = an injected anomaly (contamination), 0 = a normal training image; for diagnostics only. */
  readonly trainY?: Uint8Array;
  /** Test images, NHWC, fixed order. */
  readonly testX: Float32Array;
  /** 1 = anomaly (any class other than the normal one), 0 = normal. */
  readonly testY: Uint8Array;
  readonly nTest: number;
}

export interface TrialDataOptions {
  readonly normalClass: number;
  readonly seed: number;
  /** Fraction of anomalies in the training set, 0 .. 0.25. */
  readonly contamination: number;
  readonly minmax: 'train' | 'none';
  readonly trainSize?: number;
  readonly testSize?: number;
}
