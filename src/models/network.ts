// The two networks of the recipe (docs/recipe.md, "Networks") as data: which one a
// trial gets, and what its blocks are made of. The parts (encoder, decoder,
// the registry) read this table instead of branching on the name everywhere.
import { UserInputError } from '../errors/index.js';
import { Arch, type NetworkName } from '../study/schema.js';
import type { ConvInit } from './layers.js';

export type Network = NetworkName;

export interface NetworkTraits {
  /** Conv kernel of every encoder and decoder block. */
  readonly kernel: number;
  /** Encoder block: stride-1 conv + maxpool 2 (LeNet) or one stride-2 conv (MVTec). */
  readonly downsample: 'maxpool' | 'stride';
  /** Decoder block: stride-1 transposed conv + nearest upsample x2 (LeNet) or one stride-2 transposed conv (MVTec). */
  readonly upsample: 'nearest' | 'stride';
  readonly leakySlope: number;
  readonly bnEps: number;
  readonly init: ConvInit;
  /** A Linear(features -> latent) head makes z; without it z is the flattened features. */
  readonly head: boolean;
  /** The decoder's last layer: sigmoid for [0, 1] data, none for MVTec's [-1, 1]. */
  readonly outputSigmoid: boolean;
}

export const NETWORKS: Readonly<Record<Network, NetworkTraits>> = {
  // Deep SVDD's LeNet (Fashion-MNIST, CIFAR-10, WTBI).
  lenet: {
    kernel: 5,
    downsample: 'maxpool',
    upsample: 'nearest',
    leakySlope: 0.01,
    bnEps: 1e-4,
    init: 'xavier',
    head: true,
    outputSigmoid: true,
  },
  // The authors' MVTec AD network (their models/mvtec/ae.py EncoderV2/DecoderV2):
  // BatchNorm2d(affine=False) with PyTorch's default eps, and no init of their
  // own, so PyTorch's default conv init.
  mvtec: {
    kernel: 3,
    downsample: 'stride',
    upsample: 'stride',
    leakySlope: 0.2,
    bnEps: 1e-5,
    init: 'torch-default',
    head: false,
    outputSigmoid: false,
  },
};

/** Side of the square the latent is viewed as: the decoder grows it by 2 per block. */
export const DECODER_BASE = 4;

/**
 * Why `arch` cannot take images of this size, or undefined when it can: each
 * encoder block halves the side and the decoder grows a 4x4 square back by 2
 * per block, so k blocks need square images of 4 * 2^k. Pure and free of
 * tfjs, so the start command checks a study with it before anything is
 * read or written; modelStructure applies the same rule to every model built.
 */
export function archProblem(
  arch: Arch,
  input: { readonly height: number; readonly width: number },
): string | undefined {
  const { network, channels } = resolveNetwork(arch, input);
  const k = channels.length;
  const side = DECODER_BASE * 2 ** k;
  if (input.height !== input.width || input.height !== side) {
    const blocks = Math.log2(input.height / DECODER_BASE);
    const hint =
      input.height === input.width && Number.isInteger(blocks) && blocks >= 1 ? ` (to ${blocks} values)` : '';
    return (
      `the ${network} network needs ${side}x${side} images for ${k} encoder blocks (the decoder grows 4x4 by 2 per block), ` +
      `the data are ${input.height}x${input.width}; change arch.channels${hint}, arch.network or the data set`
    );
  }
  if (NETWORKS[network].head && arch.latent % (DECODER_BASE * DECODER_BASE) !== 0)
    return `latent ${arch.latent} must be a multiple of 16`;
  return undefined;
}

/** The recipe's MVTec encoder channels: 3 -> 96 -> 128 -> 256 -> 256, a 256 x 4 x 4 = 4096 latent at 64x64. */
export const MVTEC_CHANNELS: readonly number[] = [96, 128, 256, 256];

/** arch.channels when the study leaves it out (the LeNet's [32, 64, 128]). */
const SCHEMA_DEFAULT_CHANNELS: readonly number[] = Arch.parse({}).channels;

export interface ResolvedNetwork {
  readonly network: Network;
  readonly channels: readonly number[];
}

/**
 * The network a trial builds: `arch.network` when set, otherwise the MVTec
 * network for 64x64 data and the LeNet for anything else. With the MVTec
 * network, the schema's default channels (the LeNet's three, which cannot
 * make a 4x4 latent from 64x64) stand for the recipe's MVTEC_CHANNELS, so a
 * study of MVTec data needs no arch section; any other channels are used as given.
 */
export function resolveNetwork(
  arch: Arch,
  input: { readonly height: number; readonly width: number },
): ResolvedNetwork {
  const network: Network = arch.network ?? (input.height === 64 && input.width === 64 ? 'mvtec' : 'lenet');
  if (!NETWORKS[network]) throw new UserInputError(`unknown network "${String(network)}"`, 'arch.network');
  const isDefault =
    arch.channels.length === SCHEMA_DEFAULT_CHANNELS.length &&
    arch.channels.every((c, i) => c === SCHEMA_DEFAULT_CHANNELS[i]);
  const channels = network === 'mvtec' && isDefault ? MVTEC_CHANNELS : arch.channels;
  return { network, channels: [...channels] };
}
