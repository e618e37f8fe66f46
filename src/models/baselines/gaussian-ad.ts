// Gaussian AD (Rippel et al., "Modeling the distribution of normal data in
// pre-trained deep features for anomaly detection", ICPR 2020 / "Gaussian
// anomaly detection ..." IEEE TIM 2021), unsupervised as the IAE-LSTM-KL paper
// runs it: features of the normal training images at every level of a deep
// network, each level spatially averaged; per level a multivariate Gaussian
// with the Ledoit-Wolf shrinkage covariance; the anomaly score is the sum over
// levels of the Mahalanobis distances to them.
// NOT the original's features: Rippel et al. use an EfficientNet pretrained
// on ImageNet, whose weights cannot be obtained here. The feature network is
// the recipe's autoencoder instead, trained on reconstruction: the pretraining
// phase (pretrainEpochs, cached and shared with the plain autoencoders of the
// same structure), then jointEpochs more epochs of the same loss; after each
// of those the Gaussians are refitted (eval mode, all training images) and the
// test set scored, which gives an AUROC per epoch like the other models. The
// levels are the encoder's blocks (3 for the LeNet, 4 for MVTec), as
// EfficientNet's blocks are the original's.
// Score 'svdd': a distance of the latent features to the centre of the
// training features (the slot of the recipe's distance to c).
// A ridge of 1e-6 x the mean variance keeps the inverse finite when a level's
// features are degenerate (constant, or a single training image).
import * as tf from '@tensorflow/tfjs-core';
import { buildBackbone } from '../backbone.js';
import { EVAL, TRAIN } from '../layers.js';
import { reconstructionMse } from '../losses.js';
import type { BaselineBuilder } from './index.js';
import { assembleModel } from '../assemble.js';
import { invertSpd, ledoitWolf, mahalanobis } from './gaussian.js';

const RIDGE = 1e-6;

interface Level {
  readonly mean: tf.Tensor1D;
  readonly precision: tf.Tensor2D;
}

export const gaussianAd: BaselineBuilder = {
  // The network is the plain autoencoder: no structure of its own, so the
  // pretraining cache serves it and CAE alike.
  structure: () => undefined,
  build(name, traits, s, store, seed) {
    const b = buildBackbone(store, s, seed);
    let levels: Level[] | null = null;
    const free = () => {
      if (levels) for (const l of levels) tf.dispose([l.mean, l.precision]);
      levels = null;
    };
    /** Each block's output averaged over space: [B, C_l] per level. */
    const features = (x: tf.Tensor4D): tf.Tensor2D[] => {
      const out: tf.Tensor2D[] = [];
      b.blocks.reduce((h, block) => {
        const y = block(h, EVAL);
        out.push(tf.mean(y, [1, 2]) as tf.Tensor2D);
        return y;
      }, x);
      return out;
    };
    return assembleModel(name, traits, s, store, {
      embed: b.embed,
      reconstruct: (z, mode) => b.decoder(z, mode),
      objective: {
        loss(x) {
          const rec = reconstructionMse(x, b.decoder(b.embed(x, TRAIN), TRAIN));
          return { total: rec, rec };
        },
        fit(forEachBatch) {
          const dims = s.encoder.channels;
          const rows: number[][][] = dims.map(() => []);
          forEachBatch((x) => {
            const fs = tf.tidy(() => features(x));
            fs.forEach((f, l) => {
              const v = f.dataSync();
              const d = dims[l];
              for (let i = 0; i < f.shape[0]; i++) rows[l].push(Array.from(v.subarray(i * d, (i + 1) * d)));
            });
            tf.dispose(fs);
          });
          const fitted = dims.map((d, l) => {
            const n = rows[l].length;
            const g = ledoitWolf(Float64Array.from(rows[l].flat()), n, d);
            let trace = 0;
            for (let i = 0; i < d; i++) trace += g.covariance[i * d + i];
            const precision = invertSpd(g.covariance, d, RIDGE * Math.max(trace / d, 1e-12));
            return {
              mean: tf.tensor1d(Float32Array.from(g.mean)),
              precision: tf.tensor2d(Float32Array.from(precision), [d, d]),
            };
          });
          free();
          levels = fitted;
        },
        score(x) {
          if (!levels) throw new Error('GaussianAD: score before fit');
          const fitted = levels;
          return {
            latent: tf.addN(
              features(x).map((f, l) => mahalanobis(f, fitted[l].mean, fitted[l].precision)),
            ) as tf.Tensor1D,
          };
        },
      },
      dispose: free,
    });
  },
};
