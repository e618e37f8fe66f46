// MemAE's memory module (Gong et al., ICCV 2019, section 3.3): N memory items
// m_i of the query's size; the query z reads
//   w = softmax(z M^T)                                 (addressing, eq. 4 with the dot product)
//   w^_i = max(w_i - lambda, 0) * w_i / (|w_i - lambda| + eps)   (hard shrinkage, eq. 7)
//   w^ <- w^ / ||w^||_1                                 (re-normalised)
//   z^ = w^ M                                           (eq. 2)
// and training adds the entropy of w^, sum_i -w^_i log w^_i (eq. 9).
// As the paper's official code (memory_module.py): plain dot-product addressing
// (the paper's text writes a cosine similarity), eps 1e-12 in the shrinkage, and
// the L1 normalisation of F.normalize (norm floored at 1e-12).
import * as tf from '@tensorflow/tfjs-core';
import { linearDefault } from '../init.js';
import type { ParamStore } from '../params.js';
import { rngStream } from '../rng.js';

export interface MemorySpec {
  /** N, the number of memory items. */
  readonly items: number;
  /** Size of an item (and of a query). */
  readonly size: number;
  /** Hard-shrinkage threshold lambda (0: none). */
  readonly shrink: number;
}

export interface MemoryRead {
  /** z^ = w^ M, [rows, size]. */
  readonly out: tf.Tensor2D;
  /** The addressing weights after shrinkage and re-normalisation, [rows, N]. */
  readonly attention: tf.Tensor2D;
}

/** Official code's epsilons: the shrinkage's division and the entropy's log. */
export const SHRINK_EPS = 1e-12;
export const ENTROPY_EPS = 1e-12;

/** Hard shrinkage with the ReLU trick (differentiable almost everywhere): w where w > lambda, else 0. */
export function hardShrink(w: tf.Tensor2D, lambda: number): tf.Tensor2D {
  return tf.div(tf.mul(tf.relu(tf.sub(w, lambda)), w), tf.add(tf.abs(tf.sub(w, lambda)), SHRINK_EPS));
}

/** Reads memory `m` [N, size] with queries `z` [rows, size]. */
export function readMemory(z: tf.Tensor2D, m: tf.Tensor2D, shrink: number): MemoryRead {
  let w = tf.softmax(tf.matMul(z, m, false, true)) as tf.Tensor2D;
  if (shrink > 0) {
    w = hardShrink(w, shrink);
    w = tf.div(w, tf.maximum(tf.sum(tf.abs(w), 1, true), 1e-12));
  }
  return { out: tf.matMul(w, m), attention: w };
}

/** Mean over rows of the entropy sum_i -w_i log(w_i + eps). */
export function attentionEntropy(w: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.neg(tf.sum(tf.mul(w, tf.log(tf.add(w, ENTROPY_EPS))), 1)));
}

/** The memory as a part: items initialised U(-1/sqrt(size), 1/sqrt(size)) as the official code. */
export function memory(
  store: ParamStore,
  spec: MemorySpec,
  seed: number,
  name = 'memory',
): (z: tf.Tensor2D) => MemoryRead {
  const m = store.add(
    `${name}.items`,
    () => linearDefault(spec.items * spec.size, spec.size, rngStream(seed, `init:${name}.items`)),
    [spec.items, spec.size],
    true,
  );
  return (z) => readMemory(z, m as tf.Tensor2D, spec.shrink);
}
