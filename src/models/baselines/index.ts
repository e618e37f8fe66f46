// The Table I baselines that are not in the authors' code (docs/recipe.md, "Other
// baselines of Table I"), each after its own published paper and built on
// the recipe's parts (backbone.ts): the same encoder and decoder as the
// recipe's autoencoder for the data, with the baseline's own part between
// them and its own loss and scores. What each simplifies relative to its
// paper is written in its file.
import type { BaselineName, ModelTraits } from '../../study/models.js';
import { MODEL_TRAITS } from '../../study/models.js';
import type { ModelName } from '../../study/schema.js';
import type { ParamStore } from '../params.js';
import type { Model, ModelStructure } from '../types.js';
import { gaussianAd } from './gaussian-ad.js';
import { lsa } from './lsa.js';
import { memAe } from './memae.js';
import { vae } from './vae.js';

// The names are the models the model table marks `baseline` (src/study/models.ts,
// with their scores and whether they pretrain); the Record below makes the
// compiler ask for a builder of each.
export type { BaselineName };

export interface BaselineBuilder {
  /** Its own parts' sizes and constants, recorded in the structure (undefined: none). */
  structure(base: ModelStructure): Readonly<Record<string, string | number | boolean>> | undefined;
  build(name: ModelName, traits: ModelTraits, s: ModelStructure, store: ParamStore, seed: number): Model;
}

export const BASELINES: Readonly<Record<BaselineName, BaselineBuilder>> = {
  VAE: vae,
  MemAE: memAe,
  LSA: lsa,
  GaussianAD: gaussianAd,
};

export function isBaseline(name: ModelName): name is BaselineName {
  return MODEL_TRAITS[name].baseline === true;
}

export { readMemory, hardShrink, attentionEntropy, memory } from './memory.js';
export type { MemorySpec, MemoryRead } from './memory.js';
export { madeMasks, quantise, categoricalNll, autoregressiveDensity } from './autoregressive.js';
export type { AutoregressiveSpec } from './autoregressive.js';
export { ledoitWolf, invertSpd, mahalanobis } from './gaussian.js';
export type { GaussianFit } from './gaussian.js';
export { MEMAE } from './memae.js';
export { gaussianKl } from './vae.js';
export { LSA } from './lsa.js';
