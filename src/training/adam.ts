// Adam as torch.optim.Adam, with amsgrad (tf.train.adam has none) and
// weight_decay as an L2 term added to the gradient (torch's Adam, not AdamW).
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

interface Slot {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  readonly vMax: tf.Variable | null;
}

export class Adam {
  /** Changed by the lr schedule. */
  lr: number;
  private t = 0;
  private readonly slots = new Map<tf.Variable, Slot>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(
    private readonly vars: readonly tf.Variable[],
    private readonly opts: AdamOptions,
  ) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const p of vars) {
      const zeros = () => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      this.slots.set(p, { m: zeros(), v: zeros(), vMax: opts.amsgrad ? zeros() : null });
    }
  }

  /** One update from gradients keyed by variable name (as tf.variableGrads returns them); a missing gradient counts as zero. */
  step(grads: tf.NamedTensorMap): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    const stepSize = this.lr / bc1;
    tf.tidy(() => {
      for (const p of this.vars) {
        const s = this.slots.get(p)!;
        const raw = grads[p.name] ?? tf.zerosLike(p);
        const g = this.opts.weightDecay > 0 ? tf.add(raw, tf.mul(p, this.opts.weightDecay)) : raw;
        s.m.assign(tf.add(tf.mul(s.m, b1), tf.mul(g, 1 - b1)));
        s.v.assign(tf.add(tf.mul(s.v, b2), tf.mul(tf.square(g), 1 - b2)));
        let second: tf.Tensor = s.v;
        if (s.vMax) {
          s.vMax.assign(tf.maximum(s.vMax, s.v));
          second = s.vMax;
        }
        const denom = tf.add(tf.div(tf.sqrt(second), bc2Sqrt), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(s.m, denom), stepSize)));
      }
    });
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
      s.vMax?.dispose();
    }
    this.slots.clear();
  }
}
