// The variant registry: a model is the composition of the parts its traits
// name (src/study/models.ts). Adding a variant means adding its name and
// traits there; nothing here changes unless it needs a new kind of part.
//
// Every SVDD model gets a decoder, even those whose traits have none (Deep
// SVDD, DSVDD-KL, DLSVDD, DLSVDD-KL): it is only used to pretrain the
// encoder as an autoencoder, Deep SVDD's own way and the authors' code's.
// Joint training and scoring then leave it out.
import type * as tf from '@tensorflow/tfjs-core';
import { UserInputError } from '../errors/index.js';
import { MODEL_TRAITS, modelScores, type ModelTraits } from '../study/models.js';
import type { Arch, LstmMode, ModelName, Score } from '../study/schema.js';
import { decoder, DECODER_BASE } from './decoder.js';
import { encoder, encoderOutputSize } from './encoder.js';
import { linear } from './head.js';
import type { Forward, Mode } from './layers.js';
import { lstm } from './lstm.js';
import { ParamStore } from './params.js';

export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface BuildOptions {
  readonly arch: Arch;
  readonly input: InputShape;
  /** Only used by models with an LSTM; default 'cell'. */
  readonly lstmMode?: LstmMode;
  readonly seed: number;
  /** false: zeros instead of the seeded init, for weights about to be loaded (default true). */
  readonly initialise?: boolean;
}

/** What the network is made of, as plain data: it keys the pretraining cache. */
export interface ModelStructure {
  readonly input: InputShape;
  readonly encoder: { readonly channels: readonly number[]; readonly kernel: number };
  readonly lstm: null | { readonly size: number; readonly mode: LstmMode; readonly gates: { readonly input: boolean; readonly output: boolean } };
  readonly latent: number;
  readonly decoder: { readonly kernel: number };
}

export type Phase = 'pretrain' | 'joint';

export interface Model {
  readonly name: ModelName;
  readonly traits: ModelTraits;
  /** Anomaly scores it can be evaluated with. */
  readonly scores: readonly Score[];
  readonly structure: ModelStructure;
  readonly params: ParamStore;
  /** Images [B, H, W, C] -> latent z [B, latent]. */
  embed(x: tf.Tensor4D, mode: Mode): tf.Tensor2D;
  /** Latent z -> reconstruction [B, H, W, C]. */
  reconstruct(z: tf.Tensor2D, mode: Mode): tf.Tensor4D;
  /** The weights a phase trains: pretraining the whole autoencoder, joint training leaves out an unused decoder. */
  trainable(phase: Phase): tf.Variable[];
  dispose(): void;
}

const KERNEL = 5;

export function buildModel(name: ModelName, opts: BuildOptions): Model {
  const traits = MODEL_TRAITS[name];
  if (!traits) throw new UserInputError(`unknown model "${name}"`, 'grid.model');
  if (traits.baseline) {
    throw new UserInputError(
      `model "${name}" (a Table I baseline with its own training) is not implemented yet; ` +
        `use one of ${implementedModels().join(', ')}`,
      'grid.model',
    );
  }
  const structure = modelStructure(name, opts);
  const store = new ParamStore(opts.initialise ?? true);
  try {
    return compose(name, traits, structure, store, opts.seed);
  } catch (e) {
    store.dispose();
    throw e;
  }
}

export function implementedModels(): ModelName[] {
  return (Object.keys(MODEL_TRAITS) as ModelName[]).filter((m) => !MODEL_TRAITS[m].baseline);
}

/** Validates the sizes and describes the network without building it. */
export function modelStructure(name: ModelName, opts: BuildOptions): ModelStructure {
  const traits = MODEL_TRAITS[name];
  const { input, arch } = opts;
  const k = arch.channels.length;
  const side = DECODER_BASE * 2 ** k;
  if (input.height !== input.width || input.height !== side) {
    throw new UserInputError(
      `the network needs ${side}x${side} images for ${k} encoder blocks (the decoder grows 4x4 by 2 per block), ` +
        `the data are ${input.height}x${input.width}; change arch.channels or the data set`,
      'arch.channels',
    );
  }
  if (arch.latent % (DECODER_BASE * DECODER_BASE) !== 0) {
    throw new UserInputError(`latent ${arch.latent} must be a multiple of 16`, 'arch.latent');
  }
  const flat = encoderOutputSize({ size: input.height, inChannels: input.channels, channels: arch.channels, kernel: KERNEL });
  return {
    input: { height: input.height, width: input.width, channels: input.channels },
    encoder: { channels: [...arch.channels], kernel: KERNEL },
    lstm: traits.lstm
      ? { size: flat, mode: opts.lstmMode ?? 'cell', gates: { input: traits.gates?.input ?? true, output: traits.gates?.output ?? true } }
      : null,
    latent: arch.latent,
    decoder: { kernel: KERNEL },
  };
}

function compose(name: ModelName, traits: ModelTraits, s: ModelStructure, store: ParamStore, seed: number): Model {
  const enc = encoder(store, { size: s.input.height, inChannels: s.input.channels, channels: s.encoder.channels, kernel: s.encoder.kernel }, seed);
  const flat = encoderOutputSize({ size: s.input.height, inChannels: s.input.channels, channels: s.encoder.channels, kernel: s.encoder.kernel });
  const mem: Forward<tf.Tensor2D, tf.Tensor2D> | null = s.lstm
    ? lstm(store, { inputSize: flat, hiddenSize: s.lstm.size, mode: s.lstm.mode, gates: s.lstm.gates }, seed)
    : null;
  const head = linear(store, s.lstm ? s.lstm.size : flat, s.latent, seed);
  const dec = decoder(store, { latent: s.latent, channels: s.encoder.channels, outChannels: s.input.channels, kernel: s.decoder.kernel }, seed);
  const jointPrefixes = traits.decoder ? undefined : ['encoder.', 'lstm.', 'head.'];
  return {
    name,
    traits,
    scores: modelScores(name),
    structure: s,
    params: store,
    embed(x, mode) {
      const f = enc(x, mode);
      return head(mem ? mem(f, mode) : f, mode);
    },
    reconstruct: (z, mode) => dec(z, mode),
    trainable: (phase) => store.trainable(phase === 'pretrain' ? undefined : jointPrefixes),
    dispose: () => store.dispose(),
  };
}
