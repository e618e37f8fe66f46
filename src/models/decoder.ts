// The decoder (Deep SVDD's LeNet autoencoder): BN1d(latent) -> view as
// (latent/16, 4, 4) -> leakyReLU, then per encoder channel count in reverse:
// transposed conv k5 "same" (no bias) -> BN -> leakyReLU -> nearest x2 upsample,
// and a last transposed conv to the image channels -> sigmoid.
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, conv, leaky, unflattenNchw, upsample2x, type Forward } from './layers.js';
import type { ParamStore } from './params.js';
import { rngStream } from './rng.js';

export interface DecoderSpec {
  readonly latent: number;
  /** The encoder's channels (the decoder mirrors them). */
  readonly channels: readonly number[];
  readonly outChannels: number;
  readonly kernel: number;
}

/** Side of the square the latent is viewed as. */
export const DECODER_BASE = 4;

/** [B, latent] -> [B, 4 * 2^k, 4 * 2^k, outChannels] in (0, 1). */
export function decoder(store: ParamStore, spec: DecoderSpec, seed: number, name = 'decoder'): Forward<tf.Tensor2D, tf.Tensor4D> {
  const base = spec.latent / (DECODER_BASE * DECODER_BASE);
  const bn0 = batchNorm(store, `${name}.bn0`, spec.latent);
  const reversed = [...spec.channels].reverse();
  const blocks = reversed.map((out, i) => {
    const inC = i === 0 ? base : reversed[i - 1];
    const c = conv(store, `${name}.deconv${i}`, inC, out, spec.kernel, rngStream(seed, `init:${name}.deconv${i}`));
    const bn = batchNorm(store, `${name}.bn${i + 1}`, out);
    return (x: tf.Tensor4D, mode: { training: boolean }) => upsample2x(leaky(bn(c(x, mode), mode) as tf.Tensor4D));
  });
  const last = conv(store, `${name}.deconv${reversed.length}`, reversed[reversed.length - 1], spec.outChannels, spec.kernel, rngStream(seed, `init:${name}.deconv${reversed.length}`));
  return (z, mode) => {
    // Torch views z as NCHW (latent/16, 4, 4); the same view, then NHWC.
    const x0 = leaky(unflattenNchw(bn0(z, mode) as tf.Tensor2D, base, DECODER_BASE, DECODER_BASE));
    return tf.sigmoid(last(blocks.reduce((h, block) => block(h, mode), x0), mode));
  };
}
