// Adam as torch.optim.Adam, with amsgrad (tf.train.adam has none) and
// weight_decay as an L2 term added to the gradient (torch's Adam, not AdamW).
// The update itself is the engine's FusedAdam (one SIMD pass per variable on
// wasm instead of a dozen kernels); this adapter keeps the training loop's
// interface: an lr the schedule can change, and a missing gradient counting
// as zero (so weight decay and the moments still move, as in torch).
import * as tf from '@tensorflow/tfjs-core';
import { FusedAdam } from '../engine/index.js';

export interface AdamOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

export class Adam {
  private readonly inner: FusedAdam;

  constructor(
    private readonly vars: readonly tf.Variable[],
    opts: AdamOptions,
  ) {
    this.inner = new FusedAdam({
      learningRate: opts.lr,
      weightDecay: opts.weightDecay,
      amsgrad: opts.amsgrad,
      beta1: opts.beta1,
      beta2: opts.beta2,
      epsilon: opts.eps,
    });
  }

  /** Changed by the lr schedule. */
  get lr(): number {
    return this.inner.learningRate;
  }
  set lr(v: number) {
    this.inner.learningRate = v;
  }

  /** One update from gradients keyed by variable name (as tf.variableGrads returns them); a missing gradient counts as zero. */
  step(grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      const all: tf.NamedTensorMap = {};
      for (const p of this.vars) all[p.name] = grads[p.name] ?? tf.zerosLike(p);
      this.inner.applyGradients(all);
    });
  }

  dispose(): void {
    this.inner.dispose();
  }
}
