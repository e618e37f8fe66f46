// The one builder of the Model object around a network's parts, for the
// recipe's variants (registry.ts) and the Table I baselines alike.
import type * as tf from '@tensorflow/tfjs-core';
import { modelScores, type ModelTraits } from '../study/models.js';
import type { ModelName } from '../study/schema.js';
import type { Mode } from './layers.js';
import type { ParamStore } from './params.js';
import type { BaselineObjective, Model, ModelStructure, Phase } from './types.js';

export interface ModelParts {
  embed(x: tf.Tensor4D, mode: Mode): tf.Tensor2D;
  reconstruct(z: tf.Tensor2D, mode: Mode): tf.Tensor4D;
  /** The weights a phase trains; default: all of them in every phase (the baselines). */
  trainable?(phase: Phase): tf.Variable[];
  /** A baseline's own training and scoring. */
  readonly objective?: BaselineObjective;
  /** Frees what the model holds outside its store (fitted statistics). */
  dispose?(): void;
}

export function assembleModel(
  name: ModelName,
  traits: ModelTraits,
  s: ModelStructure,
  store: ParamStore,
  parts: ModelParts,
): Model {
  return {
    name,
    traits,
    scores: modelScores(name),
    structure: s,
    params: store,
    embed: parts.embed,
    reconstruct: parts.reconstruct,
    trainable: parts.trainable ?? (() => store.trainable()),
    ...(parts.objective ? { baseline: parts.objective } : {}),
    dispose: () => {
      parts.dispose?.();
      store.dispose();
    },
  };
}
