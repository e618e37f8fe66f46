// The loss terms of the recipe, each a pure function of tensors. The caller
// picks the terms a model has and weights them (see `combineLosses`).
import * as tf from '@tensorflow/tfjs-core';
import type { KlForm } from '../study/schema.js';

/** ||z - c||^2 per sample: [B, d], [d] -> [B]. */
export function squaredDistance(z: tf.Tensor2D, c: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.square(tf.sub(z, c)), 1);
}

/** Hard-boundary Deep SVDD: mean ||z - c||^2. */
export function svddHard(dist: tf.Tensor1D): tf.Scalar {
  return tf.mean(dist);
}

/** Soft-boundary Deep SVDD: R^2 + (1/nu) mean(max(0, ||z - c||^2 - R^2)). R is a number: it is set, not trained. */
export function svddSoft(dist: tf.Tensor1D, radius: number, nu: number): tf.Scalar {
  const r2 = radius * radius;
  return tf.add(r2, tf.div(tf.mean(tf.relu(tf.sub(dist, r2))), nu));
}

/** Mean squared error over every pixel of the batch. */
export function reconstructionMse(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.squaredDifference(x, xHat));
}

/** Summed squared error per sample: the `rec` anomaly score. */
export function reconstructionError(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(tf.squaredDifference(x, xHat), [1, 2, 3]);
}

/** The authors' KL target: softmax over the latent of standard normal noise of z's shape. */
export function klTarget(noise: tf.Tensor2D): tf.Tensor2D {
  return tf.softmax(noise, -1);
}

/**
 * The authors' KL (`KLDivLoss(reduction='batchmean')(z, target)`): z taken as
 * log-probabilities, sum(t * (log t - z)) / B. Not a divergence of z's own
 * distribution: it pulls z towards the log of a random near-uniform vector.
 */
export function klAuthors(z: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(target, tf.sub(tf.log(target), z))), z.shape[0]);
}

/** Keeps log(sigma^2) finite for a latent dimension that is constant over the batch. */
export const KL_VAR_EPS = 1e-8;

/**
 * The paper's KL: per latent dimension, N(mu, sigma^2) fitted over the batch
 * (mean and biased variance) against N(0, 1):
 * 0.5 * sum_d (mu_d^2 + sigma_d^2 - log(sigma_d^2 + eps) - 1).
 */
export function klGaussian(z: tf.Tensor2D): tf.Scalar {
  const { mean, variance } = tf.moments(z, 0);
  return tf.mul(
    0.5,
    tf.sum(tf.sub(tf.sub(tf.add(tf.square(mean), variance), tf.log(tf.add(variance, KL_VAR_EPS))), 1)),
  );
}

/** The KL term of a form; `noise` (standard normal, z's shape) is only used by the authors' form. */
export function klLoss(form: KlForm, z: tf.Tensor2D, noise: () => tf.Tensor2D): tf.Scalar {
  return form === 'authors' ? klAuthors(z, klTarget(noise())) : klGaussian(z);
}

/** Loss terms of one batch (absent when the model lacks the part). */
export interface LossTerms {
  readonly svdd?: tf.Scalar;
  readonly rec?: tf.Scalar;
  readonly kl?: tf.Scalar;
}

export interface LossWeights {
  readonly lambdaRec: number;
  readonly lambdaKl: number;
}

/** svdd + lambdaRec * rec + lambdaKl * kl, over the terms present. */
export function combineLosses(terms: LossTerms, w: LossWeights): tf.Scalar {
  const parts: tf.Scalar[] = [];
  if (terms.svdd) parts.push(terms.svdd);
  if (terms.rec) parts.push(tf.mul(terms.rec, w.lambdaRec));
  if (terms.kl) parts.push(tf.mul(terms.kl, w.lambdaKl));
  if (parts.length === 0) throw new Error('combineLosses: no loss terms');
  return parts.reduce((a, b) => tf.add(a, b));
}

/** numpy.quantile with linear interpolation (Deep SVDD's get_radius uses it). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) throw new RangeError('quantile of an empty array');
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
