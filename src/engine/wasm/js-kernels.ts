// Memory-bound kernels in plain JavaScript over the wasm heap.
//
// For these the wasm backend's generic C++ loops (or transpose-then-reduce
// schemes) cost 4-8x a straight JS pass: MaxPoolGrad re-scans every window
// per input pixel, Sum/Mean over the leading axes (batch-norm statistics of
// NHWC tensors) transpose the whole tensor first, LeakyRelu's gradient is
// three kernels (Greater, Select, Multiply). One pass each here.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TI } from './ops.js';
import { heapOffset, simdFor } from './simd.js';

type F32 = Float32Array;
const view = (backend: BackendWasm, t: TI) => backend.typedArrayFromHeap(t) as F32;

/** Gradient of a max pool (NHWC): each output's dy goes to the first maximum of its window, as tfjs-backend-cpu does. */
export function maxPoolGradJs(
  backend: BackendWasm,
  dy: TI,
  input: TI,
  attrs: {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): TI | null {
  if (input.dtype !== 'float32' || input.shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: c,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
  } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = backend.makeOutput([...input.shape], 'float32');
  // Views after the allocation: growing the heap detaches older views.
  const X = view(backend, input);
  const DY = view(backend, dy);
  const DX = view(backend, out);
  DX.fill(0);
  const simd = simdFor(backend);
  const plain2x2 =
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    pt === 0 &&
    pl === 0 &&
    outHeight === inHeight >> 1 &&
    outWidth === inWidth >> 1;
  if (simd && plain2x2 && c % 4 === 0) {
    simd.maxpool2_grad(
      heapOffset(backend, input),
      heapOffset(backend, dy),
      heapOffset(backend, out),
      batchSize,
      inHeight,
      inWidth,
      c,
    );
    return out;
  }
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - pt;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - pl;
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < filterHeight; fy++) {
          const y = y0 + fy;
          if (y < 0 || y >= inHeight) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const x = x0 + fx;
            if (x < 0 || x >= inWidth) continue;
            const base = ((b * inHeight + y) * inWidth + x) * c;
            for (let k = 0; k < c; k++) {
              const v = X[base + k]!;
              if (v > best[k]!) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        for (let k = 0; k < c; k++) {
          const at = where[k]!;
          if (at >= 0) DX[at] += DY[o + k]!;
        }
        o += c;
      }
    }
  }
  return out;
}

/** Normalised, sorted axes if they are exactly the leading ones 0..k-1 (k < rank); else null. */
function leadingAxes(axis: number | number[], rank: number): number | null {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  if (axes.length === 0 || axes.length >= rank) return null;
  return axes.every((a, i) => a === i) ? axes.length : null;
}

/**
 * Sum or mean over the leading axes (e.g. [0,1,2] of NHWC: per-channel
 * statistics) as one streaming pass with float64 accumulators.
 */
export function reduceLeadingJs(
  backend: BackendWasm,
  x: TI,
  attrs: { axis: number | number[]; keepDims: boolean },
  mean: boolean,
): TI | null {
  if (x.dtype !== 'float32') return null;
  const k = leadingAxes(attrs.axis, x.shape.length);
  if (k === null) return null;
  const rows = x.shape.slice(0, k).reduce((p, q) => p * q, 1);
  const rest = x.shape.slice(k);
  const cols = rest.reduce((p, q) => p * q, 1);
  if (rows === 0 || cols === 0) return null;
  const outShape = attrs.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest;
  const out = backend.makeOutput(outShape, 'float32');
  const X = view(backend, x);
  const O = view(backend, out);
  const acc = new Float64Array(cols);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++, i++) acc[j] += X[i]!;
  }
  const scale = mean ? 1 / rows : 1;
  for (let j = 0; j < cols; j++) O[j] = acc[j]! * scale;
  return out;
}

export function leakyReluJs(backend: BackendWasm, x: TI, alpha: number): TI | null {
  if (x.dtype !== 'float32') return null;
  const out = backend.makeOutput([...x.shape], 'float32');
  const simd = simdFor(backend);
  if (simd) {
    simd.leaky_relu(
      heapOffset(backend, x),
      0,
      heapOffset(backend, out),
      x.shape.reduce((p, q) => p * q, 1),
      alpha,
      0,
    );
    return out;
  }
  const X = view(backend, x);
  const O = view(backend, out);
  const c = 1 - alpha;
  if (alpha + c === 1) {
    // Branch-free: a data-dependent branch mispredicts on half the
    // activations and costs 4x this (13 vs 3.4 ms for 2M values here).
    for (let i = 0; i < X.length; i++) {
      const v = X[i]!;
      O[i] = v * (alpha + c * +(v > 0));
    }
  } else {
    for (let i = 0; i < X.length; i++) {
      const v = X[i]!;
      O[i] = v > 0 ? v : alpha * v;
    }
  }
  return out;
}

/** Custom kernel: dx = dy where x > 0, else alpha * dy (tfjs's LeakyRelu gradient in one pass). */
export const LEAKY_RELU_GRAD = 'IaeLeakyReluGrad';

function leakyReluGradInto(X: F32, DY: F32, O: F32, alpha: number): void {
  const c = 1 - alpha;
  if (alpha + c === 1) {
    // Branch-free (see leakyReluJs); exact because alpha + c is exactly 1.
    for (let i = 0; i < X.length; i++) O[i] = DY[i]! * (alpha + c * +(X[i]! > 0));
  } else {
    for (let i = 0; i < X.length; i++) {
      const d = DY[i]!;
      O[i] = X[i]! > 0 ? d : alpha * d;
    }
  }
}

export const leakyReluGradWasm: tf.KernelConfig = {
  kernelName: LEAKY_RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const be = backend as BackendWasm;
    const { x, dy } = inputs as { x: TI; dy: TI };
    const out = be.makeOutput([...x.shape], 'float32');
    const alpha = (attrs as unknown as { alpha: number }).alpha;
    const simd = simdFor(be);
    if (simd)
      simd.leaky_relu(
        heapOffset(be, x),
        heapOffset(be, dy),
        heapOffset(be, out),
        x.shape.reduce((p, q) => p * q, 1),
        alpha,
        1,
      );
    else leakyReluGradInto(view(be, x), view(be, dy), view(be, out), alpha);
    return out;
  },
};

export const leakyReluGradCpu: tf.KernelConfig = {
  kernelName: LEAKY_RELU_GRAD,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const be = backend as unknown as {
      data: { get(id: object): { values: unknown } };
      makeTensorInfo(s: number[], d: string, v: F32): TI;
    };
    const { x, dy } = inputs as { x: TI; dy: TI };
    const X = be.data.get(x.dataId).values as F32;
    const DY = be.data.get(dy.dataId).values as F32;
    const O = new Float32Array(X.length);
    leakyReluGradInto(X, DY, O, (attrs as unknown as { alpha: number }).alpha);
    return be.makeTensorInfo([...x.shape], 'float32', O);
  },
};

/**
 * LeakyRelu's gradient through our one-pass kernel where the backend has it
 * (wasm, cpu); elsewhere tfjs's own formula, so every backend computes the
 * same thing: dy where x > 0, alpha * dy otherwise.
 */
export const leakyReluGradConfig: tf.GradConfig = {
  kernelName: tf.LeakyRelu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const alpha = (attrs as unknown as { alpha: number }).alpha;
    const d = dy as tf.Tensor;
    if (x!.dtype === 'float32' && d.dtype === 'float32' && tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) != null) {
      return {
        x: () =>
          tf
            .engine()
            .runKernel(LEAKY_RELU_GRAD, { x: x!, dy: d }, { alpha } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    }
    return { x: () => tf.where(tf.greater(x!, 0), d, tf.mul(d, alpha)) };
  },
};
