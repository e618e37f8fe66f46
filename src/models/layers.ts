// Stateless building blocks shared by the parts. Everything here works on
// NHWC tensors and uses only tfjs-core ops that every backend implements with
// gradients (conv2d, maxPool, concat, reshape ...).
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain, upsampleNearest2x } from '../engine/index.js';
import { leakyReluGain, linearDefault, xavierUniform } from './init.js';
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
 * `eps`: Deep SVDD's 1e-4 by default; the MVTec network keeps PyTorch's 1e-5.
 */
export function batchNorm(store: ParamStore, name: string, features: number, eps = BN_EPS): Forward {
  const mean = store.add(`${name}.running_mean`, () => new Float32Array(features), [features], false);
  const variance = store.add(`${name}.running_var`, () => new Float32Array(features).fill(1), [features], false);
  return (x, mode) => {
    if (!mode.training) return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    const n = x.size / features;
    // The engine's batch norm is one fused pass each way on wasm (tf.moments
    // and the broadcasts cost several). The running update is a side effect of
    // the forward pass, as in PyTorch; assigned, it survives the step's tidy.
    return batchNormTrain(x, eps, (batchMean, batchVar) => {
      tf.tidy(() => {
        const unbiased = n > 1 ? n / (n - 1) : 1;
        mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(tf.tensor1d(batchMean), BN_MOMENTUM)));
        variance.assign(
          tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(tf.tensor1d(batchVar), unbiased * BN_MOMENTUM)),
        );
      });
    });
  };
}

/**
 * How a conv's weights are drawn:
 * - 'xavier': Xavier-uniform with leaky-ReLU gain (Deep SVDD's LeNet, the recipe);
 * - 'torch-default': PyTorch's default for Conv2d / ConvTranspose2d
 *   (kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn))),
 *   for modules whose code sets no init (the authors' MVTec network). torch
 *   computes a ConvTranspose2d's fanIn from its weight's dim 1, the output
 *   channels: `fanIn` is passed as torch computes it.
 */
export type ConvInit = 'xavier' | 'torch-default';

function convWeights(init: ConvInit, k: number, inC: number, outC: number, fanIn: number, rng: Rng): Float32Array {
  const n = k * k * inC * outC;
  return init === 'xavier'
    ? xavierUniform(n, inC * k * k, outC * k * k, leakyReluGain(LEAKY_SLOPE), rng)
    : linearDefault(n, fanIn, rng);
}

export interface ConvOptions {
  /** 1 (default): "same" padding. 2: PyTorch's padding (k-1)/2, which halves an even side. */
  readonly stride?: 1 | 2;
  readonly init?: ConvInit;
}

/**
 * A k x k conv without bias; stride 1 "same" (default) or stride 2 with
 * PyTorch's padding (k-1)/2 (explicit, not tfjs's "same": for stride 2 tfjs
 * pads at the bottom/right, PyTorch at the top/left, which shifts the grid).
 * Also serves the LeNet decoder's transposed convs: with stride 1 and padding
 * (k-1)/2, ConvTranspose2d(W) equals a conv whose kernel is W flipped in space
 * with in/out swapped (kernel[kh][kw][i][o] = W[i][o][k-1-kh][k-1-kw]), and the
 * Xavier bound is the same for both; so it is parametrised as a conv directly.
 */
export function conv(
  store: ParamStore,
  name: string,
  inC: number,
  outC: number,
  k: number,
  rng: Rng,
  opts: ConvOptions = {},
): Forward<tf.Tensor4D, tf.Tensor4D> {
  const stride = opts.stride ?? 1;
  const w = store.add(
    `${name}.weight`,
    () => convWeights(opts.init ?? 'xavier', k, inC, outC, inC * k * k, rng),
    [k, k, inC, outC],
    true,
  );
  if (stride === 1) return (x) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same');
  const p = (k - 1) / 2;
  return (x) => tf.conv2d(x, w as tf.Tensor4D, stride, p);
}

/**
 * PyTorch's ConvTranspose2d(inC, outC, k, stride=2, padding=(k-1)/2,
 * output_padding=1, bias=False): doubles the side. tfjs's conv2dTranspose is
 * the input gradient of the conv with the same padding, which for a 2H input
 * gives exactly torch's H -> 2H map; its filter is [k, k, outC, inC]
 * (torch's [inC, outC, k, k] transposed, same i.i.d. init).
 */
export function convTranspose2x(
  store: ParamStore,
  name: string,
  inC: number,
  outC: number,
  k: number,
  rng: Rng,
  init: ConvInit = 'xavier',
): Forward<tf.Tensor4D, tf.Tensor4D> {
  const w = store.add(
    `${name}.weight`,
    () => convWeights(init, k, outC, inC, outC * k * k, rng),
    [k, k, outC, inC],
    true,
  );
  const p = (k - 1) / 2;
  return (x) => {
    const [b, h, wd] = x.shape;
    return tf.conv2dTranspose(x, w as tf.Tensor4D, [b, 2 * h, 2 * wd, outC], 2, p);
  };
}

export function leaky<T extends tf.Tensor>(x: T, slope = LEAKY_SLOPE): T {
  return tf.leakyRelu(x, slope);
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
