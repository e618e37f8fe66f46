// The variant registry: a model is the composition of the parts its traits
// name (src/study/models.ts). Adding a variant means adding its name and
// traits there; nothing here changes unless it needs a new kind of part.
// The Table I baselines (traits.baseline) are built on the same parts by
// ./baselines, each with its own loss and scores.
//
// Every SVDD model gets a decoder, even those whose traits have none (Deep
// SVDD, DSVDD-KL, DLSVDD, DLSVDD-KL): it is only used to pretrain the
// encoder as an autoencoder, Deep SVDD's own way and the authors' code's.
// Joint training and scoring then leave it out.
import { UserInputError } from '../errors/index.js';
import { MODEL_TRAITS, modelPretrains, type ModelTraits } from '../study/models.js';
import type { Arch, LstmMode, ModelName } from '../study/schema.js';
import { assembleModel } from './assemble.js';
import { buildBackbone } from './backbone.js';
import { BASELINES, isBaseline } from './baselines/index.js';
import { encoderOutputSize } from './encoder.js';
import { archProblem, NETWORKS, resolveNetwork } from './network.js';
import { ParamStore } from './params.js';
import type { InputShape, Model, ModelStructure } from './types.js';

export type { BaselineObjective, BaselineScores, InputShape, Model, ModelStructure, Phase } from './types.js';

export interface BuildOptions {
  readonly arch: Arch;
  readonly input: InputShape;
  /** Only used by models with an LSTM; default 'cell'. */
  readonly lstmMode?: LstmMode;
  readonly seed: number;
  /** false: zeros instead of the seeded init, for weights about to be loaded (default true). */
  readonly initialise?: boolean;
}

export function buildModel(name: ModelName, opts: BuildOptions): Model {
  const traits = MODEL_TRAITS[name];
  if (!traits) throw new UserInputError(`unknown model "${name}"`, 'grid.model');
  const structure = modelStructure(name, opts);
  const store = new ParamStore(opts.initialise ?? true);
  try {
    return isBaseline(name)
      ? BASELINES[name].build(name, traits, structure, store, opts.seed)
      : compose(name, traits, structure, store, opts.seed);
  } catch (e) {
    store.dispose();
    throw e;
  }
}

/** Every model of the schema can be built. */
export function implementedModels(): ModelName[] {
  return Object.keys(MODEL_TRAITS) as ModelName[];
}

/** Whether a model pretrains its autoencoder (training.pretrainEpochs) before its main phase: a trait (src/study/models.ts). */
export { modelPretrains };

/** Validates the sizes and describes the network without building it. */
export function modelStructure(name: ModelName, opts: BuildOptions): ModelStructure {
  const traits = MODEL_TRAITS[name];
  const { input, arch } = opts;
  const { network, channels } = resolveNetwork(arch, input);
  const net = NETWORKS[network];
  const problem = archProblem(arch, input);
  if (problem) throw new UserInputError(problem, problem.startsWith('latent') ? 'arch.latent' : 'arch.channels');
  const flat = encoderOutputSize({ size: input.height, inChannels: input.channels, channels, kernel: net.kernel });
  const base: ModelStructure = {
    network,
    input: { height: input.height, width: input.width, channels: input.channels },
    encoder: { channels: [...channels], kernel: net.kernel },
    lstm: traits.lstm
      ? {
          size: flat,
          mode: opts.lstmMode ?? 'cell',
          gates: { input: traits.gates?.input ?? true, output: traits.gates?.output ?? true },
        }
      : null,
    // Without a head, z is the flattened encoder output (the LSTM keeps its size).
    latent: net.head ? arch.latent : flat,
    decoder: { kernel: net.kernel },
  };
  const extra = isBaseline(name) ? BASELINES[name].structure(base) : undefined;
  return extra ? { ...base, baseline: extra } : base;
}

function compose(name: ModelName, traits: ModelTraits, s: ModelStructure, store: ParamStore, seed: number): Model {
  const b = buildBackbone(store, s, seed);
  // Decoder-less models train the decoder only in pretraining.
  const jointPrefixes = traits.decoder ? undefined : ['encoder.', 'lstm.', 'head.'];
  return assembleModel(name, traits, s, store, {
    embed: b.embed,
    reconstruct: (z, mode) => b.decoder(z, mode),
    trainable: (phase) => store.trainable(phase === 'pretrain' ? undefined : jointPrefixes),
  });
}
