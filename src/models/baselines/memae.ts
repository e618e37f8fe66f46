// MemAE (Gong et al., "Memorizing normality to detect anomaly", ICCV 2019) on
// the recipe's autoencoder: encoder -> memory module (memory.ts) -> decoder.
// Loss: the recipe's pixel MSE + alpha * the mean entropy of the addressing
// weights, alpha = 0.0002 (the paper's); hard-shrinkage threshold 1/N.
// Score ('rec'): the summed squared reconstruction error through the memory.
// Addressing, as the official image models do it where the latent is a map:
// - LeNet: z is the 128-d head output, one query per image;
// - MVTec: z is the 256 x 4 x 4 feature map, one 256-d query per position
//   (16 per image; the entropy is averaged over all of them, as the official
//   EntropyLossEncap does).
// Simplifications: N = 500 items for every data set (the paper: 100 for MNIST,
// 500 for CIFAR-10, 2000 for videos); the recipe's encoder and decoder instead
// of the paper's; pretrainEpochs is not used (trained from its init for
// jointEpochs).
import * as tf from '@tensorflow/tfjs-core';
import { buildBackbone } from '../backbone.js';
import { TRAIN, EVAL, type Mode } from '../layers.js';
import { reconstructionError, reconstructionMse } from '../losses.js';
import type { BaselineBuilder } from './index.js';
import { assembleModel } from '../assemble.js';
import { attentionEntropy, memory, type MemoryRead } from './memory.js';

export const MEMAE = {
  items: 500,
  entropyWeight: 0.0002,
} as const;

/** Positions per image of the MVTec latent map (4 x 4). */
const POSITIONS = 16;

export const memAe: BaselineBuilder = {
  structure: (s) => ({
    model: 'memae',
    memoryItems: MEMAE.items,
    shrink: 1 / MEMAE.items,
    entropyWeight: MEMAE.entropyWeight,
    addressing: s.network === 'mvtec' ? 'position' : 'vector',
  }),
  build(name, traits, s, store, seed) {
    const b = buildBackbone(store, s, seed);
    const perPosition = s.network === 'mvtec';
    const size = perPosition ? s.latent / POSITIONS : s.latent;
    const read = memory(store, { items: MEMAE.items, size, shrink: 1 / MEMAE.items }, seed);
    // z [B, C*16] (NCHW order: channel-major) <-> queries [B*16, C].
    const toQueries = (z: tf.Tensor2D) =>
      (perPosition
        ? tf.reshape(tf.transpose(tf.reshape(z, [z.shape[0], size, POSITIONS]), [0, 2, 1]), [-1, size])
        : z) as tf.Tensor2D;
    const fromQueries = (q: tf.Tensor2D, batch: number) =>
      (perPosition
        ? tf.reshape(tf.transpose(tf.reshape(q, [batch, POSITIONS, size]), [0, 2, 1]), [batch, size * POSITIONS])
        : q) as tf.Tensor2D;
    const throughMemory = (z: tf.Tensor2D): MemoryRead => {
      const r = read(toQueries(z));
      return { out: fromQueries(r.out, z.shape[0]), attention: r.attention };
    };
    const forward = (x: tf.Tensor4D, mode: Mode) => {
      const r = throughMemory(b.embed(x, mode));
      return { xHat: b.decoder(r.out, mode), attention: r.attention };
    };
    return assembleModel(name, traits, s, store, {
      embed: b.embed,
      reconstruct: (z, mode) => b.decoder(throughMemory(z).out, mode),
      objective: {
        loss(x) {
          const { xHat, attention } = forward(x, TRAIN);
          const rec = reconstructionMse(x, xHat);
          const entropy = attentionEntropy(attention);
          return { total: tf.add(rec, tf.mul(entropy, MEMAE.entropyWeight)), rec, entropy };
        },
        score: (x) => ({ rec: reconstructionError(x, forward(x, EVAL).xHat) }),
      },
    });
  },
};
