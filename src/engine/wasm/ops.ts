// Tiny helpers to compose the wasm backend's own kernels inside a kernel
// function, on TensorInfos (no engine tensors, nothing taped). Every helper
// returns a new TensorInfo the caller owns and must free() exactly once.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TI = tf.TensorInfo;

/** Kernels we replace keep their original here, so our versions can fall back to them. */
export const originals = new Map<string, tf.KernelConfig>();

/** The kernel now registered (ours where we replaced it). */
function currentKernel(name: string): tf.KernelConfig {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k;
}

/** The wasm backend's own kernel, for the paths ours hand back to it. */
export function originalKernel(name: string): tf.KernelConfig {
  return originals.get(name) ?? currentKernel(name);
}

export class Ops {
  constructor(readonly backend: BackendWasm) {}

  /** Runs the registered kernel (ours where installed). */
  run(name: string, inputs: tf.NamedTensorInfoMap | TI[], attrs: object = {}): TI {
    return this.runWith(currentKernel(name), inputs, attrs);
  }

  /** Runs the wasm backend's own kernel (our replacements call this to avoid recursing into themselves). */
  runOriginal(name: string, inputs: tf.NamedTensorInfoMap | TI[], attrs: object = {}): TI {
    return this.runWith(originalKernel(name), inputs, attrs);
  }

  private runWith(kernel: tf.KernelConfig, inputs: tf.NamedTensorInfoMap | TI[], attrs: object): TI {
    const out = kernel.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.backend,
      attrs: attrs as tf.NamedAttrMap,
    });
    return (Array.isArray(out) ? out[0] : out) as TI;
  }

  free(...xs: (TI | null | undefined)[]): void {
    for (const x of xs) if (x) this.backend.disposeData(x.dataId);
  }

  /** Shares the data (the backend counts references). */
  reshape(x: TI, shape: number[]): TI {
    return this.run(tf.Reshape, { x }, { shape });
  }

  transpose(x: TI, perm: number[]): TI {
    return this.run(tf.Transpose, { x }, { perm });
  }

  reverse(x: TI, dims: number[]): TI {
    return this.run(tf.Reverse, { x }, { dims });
  }

  slice(x: TI, begin: number[], size: number[]): TI {
    return this.run(tf.Slice, { x }, { begin, size });
  }

  pad(x: TI, paddings: [number, number][]): TI {
    return this.run(tf.PadV2, { x }, { paddings, constantValue: 0 });
  }

  zeros(shape: number[]): TI {
    return this.run(tf.Fill, {}, { shape, value: 0, dtype: 'float32' });
  }

  concat(xs: TI[], axis: number): TI {
    return this.run(tf.Concat, xs, { axis });
  }

  /** Plain NHWC conv2d, stride and dilation given, explicit non-negative pads. */
  conv2d(
    x: TI,
    filter: TI,
    strides: [number, number],
    dilations: [number, number],
    pads: [number, number, number, number],
  ): TI {
    const [t, b, l, r] = pads;
    return this.run(
      tf.Conv2D,
      { x, filter },
      {
        strides,
        dilations,
        pad: [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
      },
    );
  }

  /**
   * conv2d with possibly negative pads: a negative pad crops the input on
   * that side (XNNPACK takes only non-negative padding).
   */
  conv2dSigned(
    x: TI,
    filter: TI,
    strides: [number, number],
    dilations: [number, number],
    pads: [number, number, number, number],
  ): TI {
    const [t, b, l, r] = pads;
    if (t >= 0 && b >= 0 && l >= 0 && r >= 0) return this.conv2d(x, filter, strides, dilations, pads);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const ct = Math.max(0, -t);
    const cb = Math.max(0, -b);
    const cl = Math.max(0, -l);
    const cr = Math.max(0, -r);
    const cropped = this.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]);
    const out = this.conv2d(cropped, filter, strides, dilations, [
      Math.max(0, t),
      Math.max(0, b),
      Math.max(0, l),
      Math.max(0, r),
    ]);
    this.free(cropped);
    return out;
  }

  /** Plain (untransposed, unbatched) matMul [M,K] x [K,N]: the XNNPACK fully-connected path. */
  matMul2d(a: TI, b: TI): TI {
    const a3 = this.reshape(a, [1, a.shape[0], a.shape[1]]);
    const b3 = this.reshape(b, [1, b.shape[0], b.shape[1]]);
    const out = this.runOriginal(tf.BatchMatMul, { a: a3, b: b3 }, { transposeA: false, transposeB: false });
    this.free(a3, b3);
    const out2 = this.reshape(out, [a.shape[0], b.shape[1]]);
    this.free(out);
    return out2;
  }
}
