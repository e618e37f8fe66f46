// LSA's density estimator, simplified. Abati et al. (CVPR 2019) model the
// latent p(z) = prod_d p(z_d | z_<d) with a stack of masked fully connected
// layers (one channel group per latent dimension) ending in a categorical
// distribution over 100 bins of each z_d in [0, 1].
// Here: a MADE (Germain et al., ICML 2015) with ONE masked hidden layer of
// `hidden` units (leaky ReLU), natural order of the dimensions, and a
// categorical over `bins` equal-width bins per dimension. Same factorisation
// and same loss (the NLL of the quantised z), fewer and smaller layers: LSA's
// stack has d x d x channels^2 weights per layer, which the MVTec latent
// (d = 4096) could not afford.
// The bin a z_d falls in is a constant of the step: gradients reach the
// encoder through the conditioning z_<d, as in LSA.
import * as tf from '@tensorflow/tfjs-core';
import { linearDefault } from '../init.js';
import { leaky } from '../layers.js';
import type { ParamStore } from '../params.js';
import { rngStream } from '../rng.js';

export interface AutoregressiveSpec {
  /** d, the latent size. */
  readonly dims: number;
  readonly hidden: number;
  readonly bins: number;
}

/**
 * MADE's masks for the natural order. Input i (1-based) has degree i, hidden
 * unit k degree m_k in 1..d-1 (spread evenly), output j degree j. Hidden unit
 * k sees input i iff m_k >= i; output j sees hidden k iff j > m_k. So output j
 * depends on z_1 .. z_{j-1} only (output 1 on nothing: its bias is p(z_1)).
 */
export function madeMasks(dims: number, hidden: number): { input: Float32Array; output: Float32Array } {
  const degree = Int32Array.from({ length: hidden }, (_, k) => 1 + Math.floor((k * Math.max(dims - 1, 0)) / hidden));
  const input = new Float32Array(dims * hidden); // [d, H]
  const output = new Float32Array(hidden * dims); // [H, d]
  for (let k = 0; k < hidden; k++) {
    for (let i = 1; i <= dims; i++) if (degree[k] >= i) input[(i - 1) * hidden + k] = 1;
    for (let j = 1; j <= dims; j++) if (j > degree[k]) output[k * dims + (j - 1)] = 1;
  }
  return { input, output };
}

/** The bin of each z_d in [0, 1]: floor(z * bins), z = 1 in the last bin. Integer, no gradient. */
export function quantise(z: tf.Tensor2D, bins: number): tf.Tensor2D {
  return tf.cast(tf.clipByValue(tf.floor(tf.mul(z, bins)), 0, bins - 1), 'int32') as tf.Tensor2D;
}

/** -sum_d log softmax(logits[b, d, :])[bin of z_bd] per sample: [B, d, bins], [B, d] -> [B]. */
export function categoricalNll(logits: tf.Tensor3D, z: tf.Tensor2D, bins: number): tf.Tensor1D {
  const target = tf.oneHot(quantise(z, bins), bins);
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), target), [1, 2])) as tf.Tensor1D;
}

/** z [B, d] in [0, 1] -> logits [B, d, bins] of p(z_d | z_<d). */
export function autoregressiveDensity(
  store: ParamStore,
  spec: AutoregressiveSpec,
  seed: number,
  name = 'estimator',
): (z: tf.Tensor2D) => tf.Tensor3D {
  const { dims: d, hidden: h, bins } = spec;
  const masks = madeMasks(d, h);
  // The masks live in the store (not trained) so that the model's dispose frees them.
  const maskIn = store.add(`${name}.mask_in`, () => masks.input, [d, h], false);
  const maskOut = store.add(
    `${name}.mask_out`,
    () => {
      // Output column (j, bin) sees what output j sees.
      const m = new Float32Array(h * d * bins);
      for (let k = 0; k < h; k++)
        for (let j = 0; j < d; j++) if (masks.output[k * d + j]) m.fill(1, (k * d + j) * bins, (k * d + j + 1) * bins);
      return m;
    },
    [h, d * bins],
    false,
  );
  const w1 = store.add(
    `${name}.weight_in`,
    () => linearDefault(d * h, d, rngStream(seed, `init:${name}.weight_in`)),
    [d, h],
    true,
  );
  const b1 = store.add(`${name}.bias_in`, () => new Float32Array(h), [h], true);
  const w2 = store.add(
    `${name}.weight_out`,
    () => linearDefault(h * d * bins, h, rngStream(seed, `init:${name}.weight_out`)),
    [h, d * bins],
    true,
  );
  const b2 = store.add(`${name}.bias_out`, () => new Float32Array(d * bins), [d * bins], true);
  return (z) => {
    const hid = leaky(tf.add(tf.matMul(z, tf.mul(w1, maskIn) as tf.Tensor2D), b1));
    const out = tf.add(tf.matMul(hid, tf.mul(w2, maskOut) as tf.Tensor2D), b2);
    return tf.reshape(out, [z.shape[0], d, bins]);
  };
}
