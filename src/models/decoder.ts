// The decoder, per network (network.ts):
// - LeNet (Deep SVDD's autoencoder): BN1d(latent) -> view as (latent/16, 4, 4)
//   -> leakyReLU, then per encoder channel count in reverse: transposed conv
//   k5 "same" (no bias) -> BN -> leakyReLU -> nearest x2 upsample, and a last
//   transposed conv to the image channels -> sigmoid.
// - MVTec (the authors' DecoderV2): view z as (C, 4, 4), then per encoder
//   channel count in reverse a transposed conv k3 stride 2 (pad 1, output
//   padding 1, no bias) doubling the side, BN + leakyReLU(0.2) after all but
//   the last, which maps to the image channels with no output activation
//   (MVTec images are in [-1, 1]). "In reverse" gives 256 -> 256 -> 128 -> 96
//   -> 3 for the recipe's channels [96, 128, 256, 256].
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, conv, convTranspose2x, leaky, unflattenNchw, upsample2x, type Forward } from './layers.js';
import { DECODER_BASE, NETWORKS, type Network } from './network.js';
import type { ParamStore } from './params.js';
import { rngStream } from './rng.js';

export interface DecoderSpec {
  readonly latent: number;
  /** The encoder's channels (the decoder mirrors them). */
  readonly channels: readonly number[];
  readonly outChannels: number;
  readonly kernel: number;
  /** Default 'lenet'. */
  readonly network?: Network;
}

/** [B, latent] -> [B, 4 * 2^k, 4 * 2^k, outChannels]; in (0, 1) for the LeNet. */
export function decoder(
  store: ParamStore,
  spec: DecoderSpec,
  seed: number,
  name = 'decoder',
): Forward<tf.Tensor2D, tf.Tensor4D> {
  return (spec.network ?? 'lenet') === 'mvtec'
    ? strideDecoder(store, spec, seed, name)
    : lenetDecoder(store, spec, seed, name);
}

function lenetDecoder(
  store: ParamStore,
  spec: DecoderSpec,
  seed: number,
  name: string,
): Forward<tf.Tensor2D, tf.Tensor4D> {
  const base = spec.latent / (DECODER_BASE * DECODER_BASE);
  const bn0 = batchNorm(store, `${name}.bn0`, spec.latent);
  const reversed = [...spec.channels].reverse();
  const blocks = reversed.map((out, i) => {
    const inC = i === 0 ? base : reversed[i - 1];
    const c = conv(store, `${name}.deconv${i}`, inC, out, spec.kernel, rngStream(seed, `init:${name}.deconv${i}`));
    const bn = batchNorm(store, `${name}.bn${i + 1}`, out);
    return (x: tf.Tensor4D, mode: { training: boolean }) => upsample2x(leaky(bn(c(x, mode), mode) as tf.Tensor4D));
  });
  const last = conv(
    store,
    `${name}.deconv${reversed.length}`,
    reversed[reversed.length - 1],
    spec.outChannels,
    spec.kernel,
    rngStream(seed, `init:${name}.deconv${reversed.length}`),
  );
  return (z, mode) => {
    // Torch views z as NCHW (latent/16, 4, 4); the same view, then NHWC.
    const x0 = leaky(unflattenNchw(bn0(z, mode) as tf.Tensor2D, base, DECODER_BASE, DECODER_BASE));
    return tf.sigmoid(
      last(
        blocks.reduce((h, block) => block(h, mode), x0),
        mode,
      ),
    );
  };
}

function strideDecoder(
  store: ParamStore,
  spec: DecoderSpec,
  seed: number,
  name: string,
): Forward<tf.Tensor2D, tf.Tensor4D> {
  const net = NETWORKS.mvtec;
  const reversed = [...spec.channels].reverse();
  const base = reversed[0];
  // Out channels of block i: the next encoder width down, the image channels last.
  const outs = [...reversed.slice(1), spec.outChannels];
  const blocks = outs.map((out, i) => {
    const inC = reversed[i];
    const c = convTranspose2x(
      store,
      `${name}.deconv${i}`,
      inC,
      out,
      spec.kernel,
      rngStream(seed, `init:${name}.deconv${i}`),
      net.init,
    );
    if (i === outs.length - 1) return (x: tf.Tensor4D, mode: { training: boolean }) => c(x, mode);
    const bn = batchNorm(store, `${name}.bn${i + 1}`, out, net.bnEps);
    return (x: tf.Tensor4D, mode: { training: boolean }) => leaky(bn(c(x, mode), mode) as tf.Tensor4D, net.leakySlope);
  });
  return (z, mode) => blocks.reduce((h, block) => block(h, mode), unflattenNchw(z, base, DECODER_BASE, DECODER_BASE));
}
