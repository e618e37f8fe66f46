// LSA (Abati et al., "Latent space autoregression for novelty detection", CVPR
// 2019) on the recipe's autoencoder: z = sigmoid(the encoder's latent) in
// (0, 1) (LSA squashes its code with a sigmoid too), the recipe's decoder, and
// an autoregressive density estimator of z (autoregressive.ts: a one-hidden-
// layer MADE with a categorical per dimension, LSA's simplified; see there).
// Loss, per sample and averaged over the batch: the summed squared
// reconstruction error + lambda * the NLL of z (lambda = 1, LSA's default).
// Scores: 'svdd+rec' is LSA's novelty score, the NLL and the reconstruction
// error each min-max normalised over the test set and summed (the recipe's
// combination, with the NLL in the place of the distance to c); 'rec' is the
// reconstruction error alone. pretrainEpochs is not used: LSA trains from its
// init for jointEpochs.
import * as tf from '@tensorflow/tfjs-core';
import { buildBackbone } from '../backbone.js';
import { EVAL, TRAIN, type Mode } from '../layers.js';
import { reconstructionError } from '../losses.js';
import type { BaselineBuilder } from './index.js';
import { autoregressiveDensity, categoricalNll } from './autoregressive.js';
import { assembleModel } from '../assemble.js';
import { meanSummedSquaredError } from './common.js';

export const LSA = {
  /** Weight of the NLL term. */
  lambda: 1,
  /** Categories per latent dimension (LSA: 100). */
  bins: 16,
  /** Hidden units of the MADE. */
  hidden: 256,
} as const;

export const lsa: BaselineBuilder = {
  structure: () => ({
    model: 'lsa',
    estimator: 'made-1-hidden',
    hidden: LSA.hidden,
    bins: LSA.bins,
    lambda: LSA.lambda,
  }),
  build(name, traits, s, store, seed) {
    const b = buildBackbone(store, s, seed);
    const density = autoregressiveDensity(store, { dims: s.latent, hidden: LSA.hidden, bins: LSA.bins }, seed);
    const embed = (x: tf.Tensor4D, mode: Mode) => tf.sigmoid(b.embed(x, mode)) as tf.Tensor2D;
    const nll = (z: tf.Tensor2D) => categoricalNll(density(z), z, LSA.bins);
    return assembleModel(name, traits, s, store, {
      embed,
      reconstruct: (z, mode) => b.decoder(z, mode),
      objective: {
        loss(x) {
          const z = embed(x, TRAIN);
          const rec = meanSummedSquaredError(x, b.decoder(z, TRAIN));
          const n = tf.mean(nll(z)) as tf.Scalar;
          return { total: tf.add(rec, tf.mul(n, LSA.lambda)), rec, nll: n };
        },
        score(x) {
          const z = embed(x, EVAL);
          return { rec: reconstructionError(x, b.decoder(z, EVAL)), latent: nll(z) };
        },
      },
    });
  },
};
