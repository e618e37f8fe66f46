// What the baselines share besides the Model object (../assemble.ts): the
// per-sample reconstruction loss of the VAE and LSA.
import * as tf from '@tensorflow/tfjs-core';
import { reconstructionError } from '../losses.js';

/** Batch mean of the per-sample summed squared error (the VAE's and LSA's reconstruction term). */
export function meanSummedSquaredError(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Scalar {
  return tf.mean(reconstructionError(x, xHat));
}
