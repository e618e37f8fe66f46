// The recipe's autoencoder parts for a structure: encoder blocks, the LSTM
// when the structure has one, the Linear head when the network has one, and
// the decoder. The recipe's variants and the Table I baselines are all built
// on it, so every model gets the same weights, names and init for the same
// structure (the pretraining cache relies on the names).
import type * as tf from '@tensorflow/tfjs-core';
import { decoder } from './decoder.js';
import { chainBlocks, encoderBlocks, encoderOutputSize } from './encoder.js';
import { linear } from './head.js';
import type { Forward } from './layers.js';
import { lstm } from './lstm.js';
import { NETWORKS } from './network.js';
import type { ParamStore } from './params.js';
import type { ModelStructure } from './types.js';

export interface Backbone {
  /** Encoder blocks, each halving the side. */
  readonly blocks: readonly Forward<tf.Tensor4D, tf.Tensor4D>[];
  /** Images -> flattened encoder output [B, flat]. */
  readonly features: Forward<tf.Tensor4D, tf.Tensor2D>;
  readonly flat: number;
  readonly lstm: Forward<tf.Tensor2D, tf.Tensor2D> | null;
  /** Linear(LSTM output or features -> latent); null when the network has none (MVTec: z is the features). */
  readonly head: Forward<tf.Tensor2D, tf.Tensor2D> | null;
  readonly decoder: Forward<tf.Tensor2D, tf.Tensor4D>;
  /** Images -> z: features, then the LSTM and the head where present. */
  embed: Forward<tf.Tensor4D, tf.Tensor2D>;
}

/** Adds the parts to the store in a fixed order (encoder, LSTM, head, decoder). */
export function buildBackbone(store: ParamStore, s: ModelStructure, seed: number): Backbone {
  const spec = {
    size: s.input.height,
    inChannels: s.input.channels,
    channels: s.encoder.channels,
    kernel: s.encoder.kernel,
    network: s.network,
  };
  const blocks = encoderBlocks(store, spec, seed);
  const features = chainBlocks(blocks);
  const flat = encoderOutputSize(spec);
  const mem = s.lstm
    ? lstm(store, { inputSize: flat, hiddenSize: s.lstm.size, mode: s.lstm.mode, gates: s.lstm.gates }, seed)
    : null;
  const head = NETWORKS[s.network].head ? linear(store, s.lstm ? s.lstm.size : flat, s.latent, seed) : null;
  const dec = decoder(
    store,
    {
      latent: s.latent,
      channels: s.encoder.channels,
      outChannels: s.input.channels,
      kernel: s.decoder.kernel,
      network: s.network,
    },
    seed,
  );
  return {
    blocks,
    features,
    flat,
    lstm: mem,
    head,
    decoder: dec,
    embed: (x, mode) => {
      const f = features(x, mode);
      const h = mem ? mem(f, mode) : f;
      return head ? head(h, mode) : h;
    },
  };
}
