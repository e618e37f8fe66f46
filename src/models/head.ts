// The latent head: Linear(in -> latent, no bias), torch's default init.
import * as tf from '@tensorflow/tfjs-core';
import { linearDefault } from './init.js';
import type { Forward } from './layers.js';
import type { ParamStore } from './params.js';
import { rngStream } from './rng.js';

export function linear(
  store: ParamStore,
  inSize: number,
  outSize: number,
  seed: number,
  name = 'head',
): Forward<tf.Tensor2D, tf.Tensor2D> {
  // Stored [in, out] (torch keeps [out, in]); i.i.d. init, so the same distribution.
  const w = store.add(
    `${name}.weight`,
    () => linearDefault(inSize * outSize, inSize, rngStream(seed, `init:${name}.weight`)),
    [inSize, outSize],
    true,
  );
  return (x) => tf.matMul(x, w as tf.Tensor2D);
}
