// VAE (Kingma & Welling, "Auto-encoding variational Bayes", 2013) on the
// recipe's autoencoder: the encoder's features feed two Linear heads (no bias,
// as the recipe's head), mu and log sigma^2; z = mu + sigma * eps with eps
// drawn from the trial's seeded stream; the recipe's decoder maps z back.
// Loss, per sample and averaged over the batch: the negative ELBO with one
// sample of z,
//   ||x - x^||^2 + 0.5 * sum_d (mu_d^2 + sigma_d^2 - log sigma_d^2 - 1),
// i.e. a Gaussian decoder of fixed variance 1/2 (its log-likelihood is the
// summed squared error up to a constant), chosen over a Bernoulli one because
// MVTec's images are in [-1, 1] and the others are not binary.
// Score ('rec'): the summed squared error of the reconstruction of the mean
// (z = mu, no sampling), deterministic. The KL is not added to the score: the
// reconstruction error is what the VAE baselines of the anomaly-detection
// literature rank by, and it stays comparable with CAE's.
// Simplifications: no bias in the heads; on the MVTec network (no Linear head
// in the recipe) the heads are Linear(4096 -> 4096), so z keeps the recipe's
// latent size there. pretrainEpochs is not used: the VAE trains from its init
// for jointEpochs.
import * as tf from '@tensorflow/tfjs-core';
import { buildBackbone } from '../backbone.js';
import { linear } from '../head.js';
import { EVAL, TRAIN } from '../layers.js';
import { reconstructionError } from '../losses.js';
import { normals, rngStream } from '../rng.js';
import type { BaselineBuilder } from './index.js';
import { assembleModel } from '../assemble.js';
import { meanSummedSquaredError } from './common.js';

/** KL(N(mu, sigma^2) || N(0, 1)) summed over dimensions, per sample: [B, d] x2 -> [B]. */
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.mul(0.5, tf.sum(tf.sub(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), logVar), 1), 1)) as tf.Tensor1D;
}

export const vae: BaselineBuilder = {
  structure: () => ({ model: 'vae', likelihood: 'gaussian-sse', heads: 'mu, logvar' }),
  build(name, traits, s, store, seed) {
    const b = buildBackbone(store, s, seed);
    // The LeNet's head is mu; the MVTec network has none, so the VAE adds it.
    const mu = b.head ?? linear(store, b.flat, s.latent, seed, 'head');
    const logVar = linear(store, b.flat, s.latent, seed, 'head_logvar');
    const epsRng = rngStream(seed, 'vae-eps');
    return assembleModel(name, traits, s, store, {
      embed: (x, mode) => mu(b.features(x, mode), mode),
      reconstruct: (z, mode) => b.decoder(z, mode),
      objective: {
        loss(x) {
          const f = b.features(x, TRAIN);
          const m = mu(f, TRAIN);
          const lv = logVar(f, TRAIN);
          const [batch, d] = m.shape;
          const eps = tf.tensor2d(normals(batch * d, epsRng), [batch, d]);
          const z = tf.add(m, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps)) as tf.Tensor2D;
          const rec = meanSummedSquaredError(x, b.decoder(z, TRAIN));
          const kl = tf.mean(gaussianKl(m, lv)) as tf.Scalar;
          return { total: tf.add(rec, kl), rec, kl };
        },
        score: (x) => ({ rec: reconstructionError(x, b.decoder(mu(b.features(x, EVAL), EVAL), EVAL)) }),
      },
    });
  },
};
