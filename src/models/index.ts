// The models folder's public face: parts, the variant registry and the losses.
export { buildModel, implementedModels, modelPretrains, modelStructure } from './registry.js';
export type {
  BaselineObjective,
  BaselineScores,
  BuildOptions,
  InputShape,
  Model,
  ModelStructure,
  Phase,
} from './registry.js';
export { encoder, encoderBlocks, encoderOutputSize } from './encoder.js';
export type { EncoderSpec } from './encoder.js';
export { lstm, lstmGates } from './lstm.js';
export type { LstmSpec } from './lstm.js';
export { linear } from './head.js';
export { decoder } from './decoder.js';
export type { DecoderSpec } from './decoder.js';
export { buildBackbone } from './backbone.js';
export type { Backbone } from './backbone.js';
export { NETWORKS, MVTEC_CHANNELS, resolveNetwork } from './network.js';
export type { Network, NetworkTraits, ResolvedNetwork } from './network.js';
export { TRAIN, EVAL, batchNorm, conv, convTranspose2x, upsample2x } from './layers.js';
export type { Mode, Forward, ConvInit, ConvOptions } from './layers.js';
export { ParamStore } from './params.js';
export type { ParamEntry, ParamSnapshot } from './params.js';
export { rngStream, permutation, normals, hashSeed } from './rng.js';
export type { Rng } from './rng.js';
export { orthogonal, xavierUniform, linearDefault, leakyReluGain } from './init.js';
export * from './losses.js';
export {
  BASELINES,
  isBaseline,
  readMemory,
  hardShrink,
  attentionEntropy,
  madeMasks,
  autoregressiveDensity,
  memory,
  quantise,
  categoricalNll,
  ledoitWolf,
  invertSpd,
  mahalanobis,
  MEMAE,
  gaussianKl,
  LSA,
} from './baselines/index.js';
export type { BaselineName, GaussianFit, MemoryRead, MemorySpec, AutoregressiveSpec } from './baselines/index.js';
