// Batch normalisation with batch statistics (training mode, no affine), as one
// fused kernel forward and one backward.
//
// Written with tf.moments it is ~10 broadcasting kernels forward and ~20
// backward per layer; on wasm the paper's network spends ~15% of a step
// there. Here: two streaming passes each way (JS over the wasm heap or the cpu
// backend's arrays); other backends run the same maths as tfjs ops.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdFor, withScratch } from './wasm/simd.js';

export const BN_FORWARD = 'IaeBatchNormForward';
export const BN_BACKWARD = 'IaeBatchNormBackward';

type F32 = Float32Array;

/** x [R, C] row-major: per-column mean and 1/sqrt(biased var + eps); y = (x - mean) * rstd. */
function forwardInto(X: F32, Y: F32, MEAN: F32, RSTD: F32, c: number, eps: number): void {
  const r = X.length / c;
  const s = new Float64Array(c);
  for (let i = 0, k = 0; i < r; i++) for (let j = 0; j < c; j++, k++) s[j] += X[k]!;
  for (let j = 0; j < c; j++) s[j] /= r;
  const q = new Float64Array(c);
  for (let i = 0, k = 0; i < r; i++) {
    for (let j = 0; j < c; j++, k++) {
      const d = X[k]! - s[j]!;
      q[j] += d * d;
    }
  }
  const rstd = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    rstd[j] = 1 / Math.sqrt(q[j]! / r + eps);
    MEAN[j] = s[j]!;
    RSTD[j] = rstd[j]!;
  }
  for (let i = 0, k = 0; i < r; i++) for (let j = 0; j < c; j++, k++) Y[k] = (X[k]! - s[j]!) * rstd[j]!;
}

/** dx = rstd * (dy - mean(dy) - y * mean(dy * y)), per column. */
function backwardInto(DY: F32, Y: F32, RSTD: F32, DX: F32, c: number): void {
  const r = DY.length / c;
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let i = 0, k = 0; i < r; i++) {
    for (let j = 0; j < c; j++, k++) {
      const d = DY[k]!;
      a[j] += d;
      b[j] += d * Y[k]!;
    }
  }
  for (let j = 0; j < c; j++) {
    a[j] /= r;
    b[j] /= r;
  }
  for (let i = 0, k = 0; i < r; i++)
    for (let j = 0; j < c; j++, k++) DX[k] = RSTD[j]! * (DY[k]! - a[j]! - Y[k]! * b[j]!);
}

type KArgs = Parameters<tf.KernelFunc>[0];
type Arrays = {
  get(t: tf.TensorInfo): F32;
  alloc(shape: number[]): { info: tf.TensorInfo; values: () => F32 };
};

function wasmArrays(backend: unknown): Arrays {
  const be = backend as BackendWasm;
  return {
    get: (t) => be.typedArrayFromHeap(t) as F32,
    alloc: (shape) => {
      const info = be.makeOutput(shape, 'float32');
      return { info, values: () => be.typedArrayFromHeap(info) as F32 };
    },
  };
}

function cpuArrays(backend: unknown): Arrays {
  const be = backend as {
    data: { get(id: object): { values: unknown } };
    makeTensorInfo(s: number[], d: string, v: F32): tf.TensorInfo;
  };
  return {
    get: (t) => be.data.get(t.dataId).values as F32,
    alloc: (shape) => {
      const v = new Float32Array(shape.reduce((p, q) => p * q, 1));
      const info = be.makeTensorInfo(shape, 'float32', v);
      return { info, values: () => v };
    },
  };
}

/** SIMD passes over the wasm heap (channels a multiple of 4); f64 accumulators in scratch memory. */
function forwardSimd(be: BackendWasm, x: tf.TensorInfo, eps: number): tf.TensorInfo[] | null {
  const c = x.shape.at(-1)!;
  const simd = simdFor(be);
  if (!simd || c % 4 !== 0) return null;
  const rows = x.shape.reduce((p, q) => p * q, 1) / c;
  const y = be.makeOutput([...x.shape], 'float32');
  const mean = be.makeOutput([c], 'float32');
  const rstd = be.makeOutput([c], 'float32');
  const px = heapOffset(be, x);
  withScratch(be, 24 * c, (s) => {
    const [sum, mu, sq] = [s, s + 8 * c, s + 16 * c];
    simd.col_sums(px, 0, rows, c, 0, sum, 0, 0);
    const heap = () => (be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
    let f64 = new Float64Array(heap(), s, 3 * c);
    for (let j = 0; j < c; j++) f64[c + j] = f64[j]! / rows;
    simd.col_sums(px, 0, rows, c, mu, sq, 0, 1);
    f64 = new Float64Array(heap(), s, 3 * c);
    const M = be.typedArrayFromHeap(mean) as F32;
    const R = be.typedArrayFromHeap(rstd) as F32;
    for (let j = 0; j < c; j++) {
      M[j] = f64[c + j]!;
      R[j] = 1 / Math.sqrt(f64[2 * c + j]! / rows + eps);
    }
    void sq;
  });
  simd.bn_apply(px, 0, heapOffset(be, y), rows, c, heapOffset(be, mean), heapOffset(be, rstd), 0, 0);
  return [y, mean, rstd];
}

function backwardSimd(be: BackendWasm, dy: tf.TensorInfo, y: tf.TensorInfo, rstd: tf.TensorInfo): tf.TensorInfo | null {
  const c = dy.shape.at(-1)!;
  const simd = simdFor(be);
  if (!simd || c % 4 !== 0) return null;
  const rows = dy.shape.reduce((p, q) => p * q, 1) / c;
  const dx = be.makeOutput([...dy.shape], 'float32');
  const [pdy, py] = [heapOffset(be, dy), heapOffset(be, y)];
  withScratch(be, 24 * c, (s) => {
    // f64 sums a, b (2c), then f32 means of dy and dy*y (2c floats = c f64 slots).
    const [a, b, m32] = [s, s + 8 * c, s + 16 * c];
    simd.col_sums(pdy, py, rows, c, 0, a, b, 2);
    const buf = (be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
    const f64 = new Float64Array(buf, s, 2 * c);
    const f32 = new Float32Array(buf, m32, 2 * c);
    for (let j = 0; j < c; j++) {
      f32[j] = f64[j]! / rows;
      f32[c + j] = f64[c + j]! / rows;
    }
    simd.bn_apply(pdy, py, heapOffset(be, dx), rows, c, m32, heapOffset(be, rstd), m32 + 4 * c, 1);
  });
  return dx;
}

function forwardKernel(arrays: (b: unknown) => Arrays, wasm: boolean) {
  return ({ inputs, backend, attrs }: KArgs) => {
    const x = inputs['x'] as tf.TensorInfo;
    const eps = (attrs as unknown as { eps: number }).eps;
    const fast = wasm ? forwardSimd(backend as BackendWasm, x, eps) : null;
    if (fast) return fast;
    const A = arrays(backend);
    const c = x.shape.at(-1)!;
    const y = A.alloc([...x.shape]);
    const mean = A.alloc([c]);
    const rstd = A.alloc([c]);
    // Views after every allocation: growing the wasm heap detaches older views.
    forwardInto(A.get(x), y.values(), mean.values(), rstd.values(), c, (attrs as unknown as { eps: number }).eps);
    return [y.info, mean.info, rstd.info];
  };
}

function backwardKernel(arrays: (b: unknown) => Arrays, wasm: boolean) {
  return ({ inputs, backend }: KArgs) => {
    const { dy, y, rstd } = inputs as Record<string, tf.TensorInfo>;
    const fast = wasm ? backwardSimd(backend as BackendWasm, dy!, y!, rstd!) : null;
    if (fast) return fast;
    const A = arrays(backend);
    const dx = A.alloc([...dy!.shape]);
    backwardInto(A.get(dy!), A.get(y!), A.get(rstd!), dx.values(), dy!.shape.at(-1)!);
    return dx.info;
  };
}

let registered = false;
/** Registers the fused kernels for wasm and cpu (idempotent). */
export function registerBatchNormKernels(): void {
  if (registered) return;
  const configs: tf.KernelConfig[] = [
    { kernelName: BN_FORWARD, backendName: 'wasm', kernelFunc: forwardKernel(wasmArrays, true) as tf.KernelFunc },
    { kernelName: BN_FORWARD, backendName: 'cpu', kernelFunc: forwardKernel(cpuArrays, false) as tf.KernelFunc },
    { kernelName: BN_BACKWARD, backendName: 'wasm', kernelFunc: backwardKernel(wasmArrays, true) as tf.KernelFunc },
    { kernelName: BN_BACKWARD, backendName: 'cpu', kernelFunc: backwardKernel(cpuArrays, false) as tf.KernelFunc },
  ];
  for (const k of configs) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  registered = true;
}

const fused = (x: tf.Tensor) => x.dtype === 'float32' && tf.getKernel(BN_FORWARD, tf.getBackend()) != null;

/** Receives the batch statistics per channel (e.g. to update running averages in eval-mode buffers). */
export type BatchStats = (mean: Float32Array, variance: Float32Array) => void;

/**
 * Training-mode batch norm without affine parameters over every axis but the
 * last (NHWC images: per channel; [B, F] features: per feature), like
 * PyTorch's BatchNorm in train mode: normalised with the biased batch
 * variance. Differentiable w.r.t. x. `onStats`, when given, receives the
 * batch mean and biased variance as plain arrays (nothing to dispose).
 */
export function batchNormTrain<T extends tf.Tensor>(x: T, eps: number, onStats?: BatchStats): T {
  if (!(eps > 0)) throw new RangeError(`batchNormTrain: eps must be > 0, got ${eps}`);
  if (x.rank < 2) throw new RangeError(`batchNormTrain: need a batch axis and a channel axis, got shape [${x.shape}]`);
  registerBatchNormKernels();
  const forward = (xi: tf.Tensor, save: tf.GradSaveFunc) => {
    let y: tf.Tensor;
    let mean: tf.Tensor;
    let rstd: tf.Tensor;
    if (fused(xi)) {
      [y, mean, rstd] = tf
        .engine()
        .runKernel(BN_FORWARD, { x: xi }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[] as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
    } else {
      const axes = xi.shape.slice(0, -1).map((_, i) => i);
      const m = tf.moments(xi, axes);
      mean = m.mean;
      rstd = tf.rsqrt(tf.add(m.variance, eps));
      y = tf.mul(tf.sub(xi, mean), rstd);
    }
    save([y, rstd]);
    if (onStats) {
      const r = rstd.dataSync() as Float32Array;
      onStats(
        Float32Array.from(mean.dataSync()),
        Float32Array.from(r, (v) => 1 / (v * v) - eps),
      );
    }
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ys, rs] = saved as [tf.Tensor, tf.Tensor];
        if (fused(dy)) return tf.engine().runKernel(BN_BACKWARD, { dy, y: ys, rstd: rs }) as tf.Tensor;
        const axes = dy.shape.slice(0, -1).map((_, i) => i);
        const mdy = tf.mean(dy, axes);
        const mdyy = tf.mean(tf.mul(dy, ys), axes);
        return tf.mul(rs, tf.sub(tf.sub(dy, mdy), tf.mul(ys, mdyy)));
      },
    };
  };
  const f = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}
