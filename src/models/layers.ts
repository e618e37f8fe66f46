// Stateless building blocks shared by the parts. Everything here works on
// NHWC tensors and uses only tfjs-core ops that every backend implements with
// gradients (conv2d, maxPool, concat, reshape ...).
import * as tf from '@tensorflow/tfjs-core';
import { upsampleNearest2x } from '../engine/index.js';
import { leakyReluGain, xavierUniform } from './init.js';
import type { ParamStore } from './params.js';
import type { Rng } from './rng.js';

/** Train mode: BN uses batch statistics and updates its running ones; eval mode uses the running ones. */
export interface Mode {
  readonly training: boolean;
}
export const TRAIN: Mode = { training: true };
export const EVAL: Mode = { training: false };

export const LEAKY_SLOPE = 0.01;
export const BN_EPS = 1e-4;
/** PyTorch's default: running = (1 - m) * running + m * batch. */
export const BN_MOMENTUM = 0.1;

export type Forward<I extends tf.Tensor = tf.Tensor, O extends tf.Tensor = tf.Tensor> = (x: I, mode: Mode) => O;

/**
 * BatchNorm without affine parameters (Deep SVDD's `affine=False`) over all
 * axes but the last. Adds `<name>.running_mean` / `.running_var` to the store.
 * As PyTorch: normalises with the biased batch variance, tracks the unbiased one.
 */
export function batchNorm(store: ParamStore, name: string, features: number): Forward {
  const mean = store.add(`${name}.running_mean`, () => new Float32Array(features), [features], false);
  const variance = store.add(`${name}.running_var`, () => new Float32Array(features).fill(1), [features], false);
  return (x, mode) => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    if (!mode.training) return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS)));
    const m = tf.moments(x, axes);
    const n = x.size / features;
    // The running update is a side effect of the forward pass, as in PyTorch. Its
    // new value is assigned, so it survives the tidy scope of the training step.
    const unbiased = n > 1 ? tf.mul(m.variance, n / (n - 1)) : m.variance;
    mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM)));
    variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    return tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, BN_EPS)));
  };
}

/**
 * A k x k, stride 1, "same" conv without bias, Xavier-uniform with leaky-ReLU gain.
 * Also serves the decoder's transposed convs: with stride 1 and padding
 * (k-1)/2, ConvTranspose2d(W) equals a conv whose kernel is W flipped in space
 * with in/out swapped (kernel[kh][kw][i][o] = W[i][o][k-1-kh][k-1-kw]), and the
 * Xavier bound is the same for both; so it is parametrised as a conv directly.
 */
export function conv(store: ParamStore, name: string, inC: number, outC: number, k: number, rng: Rng): Forward<tf.Tensor4D, tf.Tensor4D> {
  const w = store.add(
    `${name}.weight`,
    () => xavierUniform(k * k * inC * outC, inC * k * k, outC * k * k, leakyReluGain(LEAKY_SLOPE), rng),
    [k, k, inC, outC],
    true,
  );
  return (x) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same');
}

export function leaky<T extends tf.Tensor>(x: T): T {
  return tf.leakyRelu(x, LEAKY_SLOPE);
}

/** Nearest-neighbour x2 upsampling (F.interpolate(scale_factor=2)), the engine's gradient-friendly version. */
export const upsample2x = (x: tf.Tensor4D): tf.Tensor4D => upsampleNearest2x(x);

/** Flattens NHWC in PyTorch's NCHW order, so a flat index means the same feature as in torch's `x.view(B, -1)`. */
export function flattenNchw(x: tf.Tensor4D): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b, c * h * w]);
}

/** The inverse view: [B, C*H*W] in NCHW order to NHWC [B, H, W, C]. */
export function unflattenNchw(x: tf.Tensor2D, c: number, h: number, w: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [x.shape[0], c, h, w]), [0, 2, 3, 1]);
}
