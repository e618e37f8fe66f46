// What the baselines share: the Model object around their parts, and the
// per-sample reconstruction loss of the VAE and LSA.
import * as tf from '@tensorflow/tfjs-core';
import { modelScores, type ModelTraits } from '../../study/models.js';
import type { ModelName } from '../../study/schema.js';
import type { Mode } from '../layers.js';
import { reconstructionError } from '../losses.js';
import type { ParamStore } from '../params.js';
import type { BaselineObjective, Model, ModelStructure } from '../types.js';

export interface BaselineParts {
  embed(x: tf.Tensor4D, mode: Mode): tf.Tensor2D;
  reconstruct(z: tf.Tensor2D, mode: Mode): tf.Tensor4D;
  readonly objective: BaselineObjective;
  /** Frees what the model holds outside its store (fitted statistics). */
  dispose?(): void;
}

/** A baseline trains all of its weights in every phase. */
export function baselineModel(name: ModelName, traits: ModelTraits, s: ModelStructure, store: ParamStore, parts: BaselineParts): Model {
  return {
    name,
    traits,
    scores: modelScores(name),
    structure: s,
    params: store,
    embed: parts.embed,
    reconstruct: parts.reconstruct,
    trainable: () => store.trainable(),
    baseline: parts.objective,
    dispose: () => {
      parts.dispose?.();
      store.dispose();
    },
  };
}

/** Batch mean of the per-sample summed squared error (the VAE's and LSA's reconstruction term). */
export function meanSummedSquaredError(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Scalar {
  return tf.mean(reconstructionError(x, xHat));
}
