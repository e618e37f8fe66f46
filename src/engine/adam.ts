// Adam (optionally AMSGrad, with PyTorch's L2 weight decay) as one fused
// update per variable.
//
// tf.train.adam runs ~12 elementwise kernels per variable, each allocating a
// full-size tensor: on wasm that is ~350 ms per step for the paper's LSTM
// (12.6M weights) against ~50 ms for one JS pass over the heap. tfjs has no
// AMSGrad either, and the recipe trains with it. On backends without the
// fused kernel (tfjs-node) the same update runs as tfjs ops.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdFor } from './wasm/simd.js';

/** Custom kernel: inputs x, g, m, v[, vmax]; returns the new x; updates m, v, vmax in place (optimizer-private state). */
export const FUSED_ADAM = 'IaeFusedAdam';

export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** PyTorch's default 1e-8. */
  readonly epsilon?: number;
  /** L2 penalty added to the gradient (PyTorch Adam's weight_decay). */
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
  /** Use the fused kernel where the backend has one (default true); false runs the tfjs-ops path everywhere. */
  readonly fused?: boolean;
}

interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^t) */
  invSqrtBc2: number;
}

type F32 = Float32Array;

function update(X: F32, G: F32, M: F32, V: F32, VM: F32 | null, O: F32, a: AdamAttrs): void {
  const { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, stepSize, invSqrtBc2 } = a;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const n = X.length;
  if (VM) {
    for (let i = 0; i < n; i++) {
      const x = X[i]!;
      const g = G[i]! + wd * x;
      const m = b1 * M[i]! + c1 * g;
      const v = b2 * V[i]! + c2 * g * g;
      const vm = Math.max(VM[i]!, v);
      M[i] = m;
      V[i] = v;
      VM[i] = vm;
      O[i] = x - (stepSize * m) / (Math.sqrt(vm) * invSqrtBc2 + eps);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = X[i]!;
      const g = G[i]! + wd * x;
      const m = b1 * M[i]! + c1 * g;
      const v = b2 * V[i]! + c2 * g * g;
      M[i] = m;
      V[i] = v;
      O[i] = x - (stepSize * m) / (Math.sqrt(v) * invSqrtBc2 + eps);
    }
  }
}

type KArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const wasmFusedAdam: tf.KernelConfig = {
  kernelName: FUSED_ADAM,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }: KArgs) => {
    const be = backend as BackendWasm;
    const { x, g, m, v, vmax } = inputs as Record<string, tf.TensorInfo>;
    const out = be.makeOutput([...x!.shape], 'float32');
    const a = attrs as unknown as AdamAttrs;
    const simd = simdFor(be);
    if (simd) {
      const at = (t: tf.TensorInfo) => heapOffset(be, t);
      simd.adam(
        at(x!),
        at(g!),
        at(m!),
        at(v!),
        vmax ? at(vmax) : 0,
        at(out),
        x!.shape.reduce((p, q) => p * q, 1),
        a.beta1,
        a.beta2,
        a.epsilon,
        a.weightDecay,
        a.stepSize,
        a.invSqrtBc2,
      );
      return out;
    }
    // Views after the allocation: growing the heap detaches older views.
    const view = (t: tf.TensorInfo) => be.typedArrayFromHeap(t) as F32;
    update(view(x!), view(g!), view(m!), view(v!), vmax ? view(vmax) : null, view(out), a);
    return out;
  },
};

const cpuFusedAdam: tf.KernelConfig = {
  kernelName: FUSED_ADAM,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }: KArgs) => {
    const be = backend as {
      data: { get(id: object): { values: unknown } };
      makeTensorInfo(s: number[], d: string, v: F32): tf.TensorInfo;
    };
    const { x, g, m, v, vmax } = inputs as Record<string, tf.TensorInfo>;
    const arr = (t: tf.TensorInfo) => {
      const vals = be.data.get(t.dataId).values;
      if (!(vals instanceof Float32Array)) throw new Error(`${FUSED_ADAM}: expected float32 data`);
      return vals;
    };
    const o = new Float32Array(arr(x!).length);
    update(arr(x!), arr(g!), arr(m!), arr(v!), vmax ? arr(vmax) : null, o, attrs as unknown as AdamAttrs);
    return be.makeTensorInfo([...x!.shape], 'float32', o);
  },
};

let registered = false;
/** Registers the fused kernel for wasm and cpu (idempotent). */
export function registerFusedAdam(): void {
  if (registered) return;
  for (const k of [wasmFusedAdam, cpuFusedAdam]) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  registered = true;
}

interface Slot {
  m: tf.Tensor;
  v: tf.Tensor;
  vmax: tf.Tensor | null;
}

/**
 * Adam with PyTorch 1.13's semantics (torch.optim.Adam incl. amsgrad and
 * weight_decay). A tf.Optimizer: use minimize() or applyGradients().
 */
export class FusedAdam extends tf.Optimizer {
  static get className(): string {
    return 'IaeFusedAdam';
  }

  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly fused: boolean;
  private readonly slots = new Map<string, Slot>();
  private step = 0;

  constructor(o: AdamOptions) {
    super();
    this.learningRate = o.learningRate;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.epsilon = o.epsilon ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.amsgrad = o.amsgrad ?? false;
    this.fused = o.fused ?? true;
    for (const [k, val] of Object.entries({
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    })) {
      if (!Number.isFinite(val) || val < 0)
        throw new RangeError(`FusedAdam: ${k} must be a finite number >= 0, got ${val}`);
    }
    if (this.beta1 >= 1 || this.beta2 >= 1) throw new RangeError('FusedAdam: beta1 and beta2 must be < 1');
    registerFusedAdam();
  }

  override applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((e) => [e.name, e.tensor])
      : Object.entries(variableGradients);
    this.step++;
    const attrs: AdamAttrs = {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      stepSize: this.learningRate / (1 - this.beta1 ** this.step),
      invSqrtBc2: 1 / Math.sqrt(1 - this.beta2 ** this.step),
    };
    const fused = this.fused && tf.getKernel(FUSED_ADAM, tf.getBackend()) != null;
    for (const [name, g] of entries) {
      if (g == null) continue;
      const x = tf.engine().registeredVariables[name];
      if (!x) throw new Error(`FusedAdam: no variable named ${name}`);
      let slot = this.slots.get(name);
      if (!slot) {
        // Fresh, unshared buffers (the fused kernel writes them in place), kept
        // out of any tidy() the caller runs us in.
        slot = {
          m: tf.keep(tf.zeros(x.shape)),
          v: tf.keep(tf.zeros(x.shape)),
          vmax: this.amsgrad ? tf.keep(tf.zeros(x.shape)) : null,
        };
        this.slots.set(name, slot);
      }
      if (fused && x.dtype === 'float32' && g.dtype === 'float32') {
        const inputs: tf.NamedTensorMap = { x, g, m: slot.m, v: slot.v };
        if (slot.vmax) inputs['vmax'] = slot.vmax;
        const next = tf.engine().runKernel(FUSED_ADAM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
        x.assign(next);
        next.dispose();
      } else {
        this.applyWithOps(x, g, slot, attrs);
      }
    }
    this.incrementIterations();
  }

  /** The same update as tfjs ops (backends without the fused kernel). */
  private applyWithOps(x: tf.Variable, g: tf.Tensor, slot: Slot, a: AdamAttrs): void {
    const old = [slot.m, slot.v, slot.vmax];
    tf.tidy(() => {
      const gg = a.weightDecay !== 0 ? tf.add(g, tf.mul(x, a.weightDecay)) : g;
      const m = tf.keep(tf.add(tf.mul(slot.m, a.beta1), tf.mul(gg, 1 - a.beta1)));
      const v = tf.keep(tf.add(tf.mul(slot.v, a.beta2), tf.mul(tf.square(gg), 1 - a.beta2)));
      const vmax = slot.vmax ? tf.keep(tf.maximum(slot.vmax, v)) : null;
      const denom = tf.add(tf.mul(tf.sqrt(vmax ?? v), a.invSqrtBc2), a.epsilon);
      x.assign(tf.sub(x, tf.mul(tf.div(m, denom), a.stepSize)));
      slot.m = m;
      slot.v = v;
      slot.vmax = vmax;
    });
    for (const t of old) t?.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      amsgrad: this.amsgrad,
    };
  }

  override dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
      s.vmax?.dispose();
    }
    this.slots.clear();
  }
}
