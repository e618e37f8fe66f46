// The shapes every model shares: what it is made of (as plain data, it keys
// the pretraining cache) and what training and scoring may ask of it.
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelTraits } from '../study/models.js';
import type { LstmMode, ModelName, Score } from '../study/schema.js';
import type { Mode } from './layers.js';
import type { Network } from './network.js';
import type { ParamStore } from './params.js';

export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** What the network is made of, as plain data: it keys the pretraining cache. */
export interface ModelStructure {
  readonly network: Network;
  readonly input: InputShape;
  readonly encoder: { readonly channels: readonly number[]; readonly kernel: number };
  readonly lstm: null | {
    readonly size: number;
    readonly mode: LstmMode;
    readonly gates: { readonly input: boolean; readonly output: boolean };
  };
  /** z's size: the Linear head's output (LeNet) or the flattened encoder output (MVTec, which has no head). */
  readonly latent: number;
  readonly decoder: { readonly kernel: number };
  /**
   * A Table I baseline's own parts and constants (memory items, density bins
   * ...). Absent for the recipe's variants and for Gaussian AD, whose network
   * is the plain autoencoder, so that it shares their pretraining.
   */
  readonly baseline?: Readonly<Record<string, string | number | boolean>>;
}

export type Phase = 'pretrain' | 'joint';

/** Per-sample raw scores of a batch, [B] each. */
export interface BaselineScores {
  /**
   * A score of the latent: Gaussian AD's Mahalanobis distance, LSA's NLL of z.
   * It fills the slot of the recipe's distance to c (`svdd`, see modelScores).
   */
  readonly latent?: tf.Tensor1D;
  /** Summed squared reconstruction error. */
  readonly rec?: tf.Tensor1D;
}

/**
 * A Table I baseline's own training and scoring, in place of the recipe's
 * SVDD + rec + KL joint phase (the training loop calls these; src/training).
 * Whether the plain autoencoder is pretrained first is known before building:
 * `modelPretrains` (registry.ts).
 */
export interface BaselineObjective {
  /** Loss terms of one training batch in train mode: `total` is minimised, every term is reported. */
  loss(x: tf.Tensor4D): { total: tf.Scalar } & Record<string, tf.Scalar>;
  /** Raw per-sample scores of a batch in eval mode. Call `fit` first when the model has one. */
  score(x: tf.Tensor4D): BaselineScores;
  /**
   * Fits what the model estimates from the training set after training (Gaussian
   * AD's Gaussians). `forEachBatch` calls `visit` once per training batch, in a
   * fixed order, and disposes each batch after the visit.
   */
  fit?(forEachBatch: (visit: (x: tf.Tensor4D) => void) => void): void;
}

export interface Model {
  readonly name: ModelName;
  readonly traits: ModelTraits;
  /** Anomaly scores it can be evaluated with. */
  readonly scores: readonly Score[];
  readonly structure: ModelStructure;
  readonly params: ParamStore;
  /** Images [B, H, W, C] -> latent z [B, latent]. */
  embed(x: tf.Tensor4D, mode: Mode): tf.Tensor2D;
  /** Latent z -> reconstruction [B, H, W, C]. */
  reconstruct(z: tf.Tensor2D, mode: Mode): tf.Tensor4D;
  /** The weights a phase trains: pretraining the whole autoencoder, joint training leaves out an unused decoder. */
  trainable(phase: Phase): tf.Variable[];
  /** Present for the Table I baselines, which train and score their own way. */
  readonly baseline?: BaselineObjective;
  dispose(): void;
}
