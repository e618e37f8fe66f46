// The in-memory shapes of data sets. Images are NHWC float32 (or uint8 as
// decoded), labels are class indices.

export interface ImageSet {
  /** n * height * width * channels values, NHWC. */
  readonly images: Uint8Array | Float32Array;
  readonly labels: Uint8Array;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface RawDataset {
  readonly name: string;
  readonly classNames: readonly string[];
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** Where it was read from, for provenance and errors. */
  readonly source: string;
}

/** The data of one trial, preprocessed as the recipe says, ready for tf.tensor4d. */
export interface TrialData {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Training images (normal class, plus injected anomalies when contaminated), NHWC in [0,1]-ish. */
  readonly trainX: Float32Array;
  readonly nTrain: number;
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
