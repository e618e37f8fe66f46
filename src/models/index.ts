// The models folder's public face: parts, the variant registry and the losses.
export { buildModel, implementedModels, modelStructure } from './registry.js';
export type { BuildOptions, InputShape, Model, ModelStructure, Phase } from './registry.js';
export { encoder, encoderOutputSize } from './encoder.js';
export type { EncoderSpec } from './encoder.js';
export { lstm, lstmGates } from './lstm.js';
export type { LstmSpec } from './lstm.js';
export { linear } from './head.js';
export { decoder } from './decoder.js';
export type { DecoderSpec } from './decoder.js';
export { TRAIN, EVAL, batchNorm, upsample2x } from './layers.js';
export type { Mode, Forward } from './layers.js';
export { ParamStore } from './params.js';
export type { ParamEntry, ParamSnapshot } from './params.js';
export { rngStream, permutation, normals, hashSeed } from './rng.js';
export type { Rng } from './rng.js';
export { orthogonal, xavierUniform, linearDefault, leakyReluGain } from './init.js';
export * from './losses.js';
