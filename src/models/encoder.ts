// Deep SVDD's LeNet encoder: per channel count, conv k5 "same" (no bias) ->
// BN (eps 1e-4, no affine) -> leakyReLU(0.01) -> maxpool 2; then flattened.
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, conv, flattenNchw, leaky, type Forward } from './layers.js';
import type { ParamStore } from './params.js';
import { rngStream } from './rng.js';

export interface EncoderSpec {
  /** Input image side (square) and channels. */
  readonly size: number;
  readonly inChannels: number;
  readonly channels: readonly number[];
  readonly kernel: number;
}

export function encoderOutputSize(spec: EncoderSpec): number {
  const side = spec.size / 2 ** spec.channels.length;
  return side * side * spec.channels[spec.channels.length - 1];
}

/** [B, size, size, inChannels] -> [B, flat] (flattened in torch's NCHW order). */
export function encoder(store: ParamStore, spec: EncoderSpec, seed: number, name = 'encoder'): Forward<tf.Tensor4D, tf.Tensor2D> {
  const blocks = spec.channels.map((out, i) => {
    const inC = i === 0 ? spec.inChannels : spec.channels[i - 1];
    const c = conv(store, `${name}.conv${i}`, inC, out, spec.kernel, rngStream(seed, `init:${name}.conv${i}`));
    const bn = batchNorm(store, `${name}.bn${i}`, out);
    return (x: tf.Tensor4D, mode: { training: boolean }) =>
      tf.maxPool(leaky(bn(c(x, mode), mode) as tf.Tensor4D), 2, 2, 'valid');
  });
  return (x, mode) => flattenNchw(blocks.reduce((h, block) => block(h, mode), x));
}
