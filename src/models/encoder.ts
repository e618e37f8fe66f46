// The encoder, per network (network.ts):
// - LeNet (Deep SVDD): per channel count, conv k5 "same" (no bias) -> BN (eps
//   1e-4, no affine) -> leakyReLU(0.01) -> maxpool 2;
// - MVTec: per channel count, conv k3 stride 2 pad 1 (no bias) -> BN (no
//   affine) -> leakyReLU(0.2);
// then flattened in PyTorch's NCHW order.
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, conv, flattenNchw, leaky, type Forward } from './layers.js';
import { NETWORKS, type Network } from './network.js';
import type { ParamStore } from './params.js';
import { rngStream } from './rng.js';

export interface EncoderSpec {
  /** Input image side (square) and channels. */
  readonly size: number;
  readonly inChannels: number;
  readonly channels: readonly number[];
  readonly kernel: number;
  /** Default 'lenet'. */
  readonly network?: Network;
}

export function encoderOutputSize(spec: EncoderSpec): number {
  const side = spec.size / 2 ** spec.channels.length;
  return side * side * spec.channels[spec.channels.length - 1];
}

/** The encoder's blocks, each [B, s, s, C] -> [B, s/2, s/2, C']: the encoder chains them; Gaussian AD reads each one's output. */
export function encoderBlocks(
  store: ParamStore,
  spec: EncoderSpec,
  seed: number,
  name = 'encoder',
): Forward<tf.Tensor4D, tf.Tensor4D>[] {
  const net = NETWORKS[spec.network ?? 'lenet'];
  return spec.channels.map((out, i) => {
    const inC = i === 0 ? spec.inChannels : spec.channels[i - 1];
    const stride = net.downsample === 'stride' ? 2 : 1;
    const c = conv(store, `${name}.conv${i}`, inC, out, spec.kernel, rngStream(seed, `init:${name}.conv${i}`), {
      stride,
      init: net.init,
    });
    const bn = batchNorm(store, `${name}.bn${i}`, out, net.bnEps);
    return (x: tf.Tensor4D, mode: { training: boolean }) => {
      const h = leaky(bn(c(x, mode), mode) as tf.Tensor4D, net.leakySlope);
      return net.downsample === 'maxpool' ? tf.maxPool(h, 2, 2, 'valid') : h;
    };
  });
}

/** Chains the blocks: [B, size, size, inChannels] -> [B, flat] (flattened in torch's NCHW order). */
export function chainBlocks(blocks: readonly Forward<tf.Tensor4D, tf.Tensor4D>[]): Forward<tf.Tensor4D, tf.Tensor2D> {
  return (x, mode) => flattenNchw(blocks.reduce((h, block) => block(h, mode), x));
}

/** [B, size, size, inChannels] -> [B, flat] (flattened in torch's NCHW order). */
export function encoder(
  store: ParamStore,
  spec: EncoderSpec,
  seed: number,
  name = 'encoder',
): Forward<tf.Tensor4D, tf.Tensor2D> {
  return chainBlocks(encoderBlocks(store, spec, seed, name));
}
