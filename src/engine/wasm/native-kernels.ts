// Conv2D, its two gradients and BatchMatMul on the native GEMM addon (see
// ../native/blas.ts), computed in place on the wasm heap. Registered over our
// XNNPACK-based kernels when the addon loads; every case they do not cover
// (NCHW, int32, batch broadcasts other than against a single matrix, empty
// shapes, a shared heap, IAE_NATIVE=0) goes to the kernel registered before them.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeBlas, type NativeBlas } from '../native/blas.js';
import { convInfoOf, type ConvAttrs } from './conv-info.js';
import { heapOffset, memoryOf } from './simd.js';
import type { TI } from './ops.js';

const { util } = tf;

type KFArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Impl = (blas: NativeBlas, backend: BackendWasm, args: KFArgs) => TI | null;

const CONV_FORWARD = 0;
const CONV_GRAD_FILTER = 1;
const CONV_GRAD_INPUT = 2;

/** Float offset of a tensor in the heap. */
const at = (backend: BackendWasm, t: TI): number => heapOffset(backend, t) / 4;

function heap(backend: BackendWasm): ArrayBuffer {
  // Read after every allocation: growing the wasm memory replaces its buffer.
  const mem = memoryOf(backend);
  if (!mem) throw new Error('native GEMM: the wasm backend exposes no memory');
  return mem.buffer;
}

function dims(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

const floats = (...ts: TI[]) => ts.every((t) => t.dtype === 'float32');
const nonEmpty = (...shapes: number[][]) => shapes.every((s) => util.sizeFromShape(s) > 0);

/** Conv attrs with dilations (Conv2D has them; the gradient kernels are always undilated). */
function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs & { dilations?: number | [number, number] },
  name: string,
): tf.backend_util.Conv2DInfo | null {
  if (attrs.dataFormat === 'NCHW') return null;
  const info = convInfoOf(xShape, filterShape, attrs, name);
  if (attrs.dilations === undefined || attrs.dilations === 1) return info;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** The two operands of a conv kernel, and the shapes of x and the filter it implies. */
type ConvOperands = { first: TI; second: TI; xShape: number[]; filterShape: number[] };

/**
 * One of the three conv kernels: `operands` picks its inputs (in the order the
 * addon's mode takes them), `outShape` the shape it produces.
 */
function convKernel(
  mode: number,
  name: string,
  operands: (
    inputs: tf.NamedTensorInfoMap,
    attrs: ConvAttrs & { filterShape: number[]; inputShape: number[] },
  ) => ConvOperands,
  outShape: (o: ConvOperands, info: tf.backend_util.Conv2DInfo) => number[],
): Impl {
  return (blas, backend, { inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: number[]; inputShape: number[] };
    const o = operands(inputs, a);
    if (!floats(o.first, o.second)) return null;
    const info = convInfo(o.xShape, o.filterShape, a, name);
    if (!info || !nonEmpty(o.xShape, o.filterShape, info.outShape)) return null;
    const out = backend.makeOutput(outShape(o, info), 'float32');
    blas.conv(heap(backend), mode, at(backend, o.first), at(backend, o.second), at(backend, out), ...dims(info));
    return out;
  };
}

const conv2D = convKernel(
  CONV_FORWARD,
  'Conv2D',
  (i) => ({ first: i.x as TI, second: i.filter as TI, xShape: (i.x as TI).shape, filterShape: (i.filter as TI).shape }),
  (_, info) => info.outShape,
);
const conv2DBackpropFilter = convKernel(
  CONV_GRAD_FILTER,
  'Conv2DBackpropFilter',
  (i, a) => ({ first: i.x as TI, second: i.dy as TI, xShape: (i.x as TI).shape, filterShape: a.filterShape }),
  (o) => o.filterShape,
);
const conv2DBackpropInput = convKernel(
  CONV_GRAD_INPUT,
  'Conv2DBackpropInput',
  (i, a) => ({ first: i.dy as TI, second: i.filter as TI, xShape: a.inputShape, filterShape: (i.filter as TI).shape }),
  (o) => o.xShape,
);

/**
 * op(a) op(b) per batch. Batches must be equal, or one side a single matrix
 * (stride 0): the shapes a model produces. Other broadcasts fall back.
 */
const batchMatMul: Impl = (blas, backend, { inputs, attrs }) => {
  const a = inputs.a as TI;
  const b = inputs.b as TI;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (!floats(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [a0, a1] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [b0, b1] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const n = transposeB ? b0 : b1;
  if (k !== (transposeB ? b1 : b0)) return null; // the original kernel reports the mismatch
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  let outBatch: number[];
  if (util.arraysEqual(a.shape.slice(0, -2), b.shape.slice(0, -2))) outBatch = a.shape.slice(0, -2);
  else if (batchB === 1) outBatch = a.shape.slice(0, -2);
  else if (batchA === 1) outBatch = b.shape.slice(0, -2);
  else return null;
  if (m * n * k === 0) return null;
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  blas.gemm(
    heap(backend),
    transposeA ? 1 : 0,
    transposeB ? 1 : 0,
    m,
    n,
    k,
    at(backend, a),
    a1,
    at(backend, b),
    b1,
    at(backend, out),
    n,
    0,
    batch,
    batchA === 1 ? 0 : a0 * a1,
    batchB === 1 ? 0 : b0 * b1,
    m * n,
  );
  return out;
};

const IMPLS: Record<string, Impl> = {
  [tf.Conv2D]: conv2D,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.BatchMatMul]: batchMatMul,
};

/** The kernel names the addon takes over. */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys(IMPLS);

/** Our native kernel for `name`, handing what it does not cover to `below` (the kernel registered before it). */
export function nativeKernel(name: string, below: tf.KernelConfig): tf.KernelConfig {
  const impl = IMPLS[name];
  if (!impl) throw new Error(`no native kernel ${name}`);
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const blas = nativeBlas();
      const backend = args.backend as BackendWasm;
      // A threaded wasm build's heap is a SharedArrayBuffer, which the addon
      // does not take (Node's tfjs-backend-wasm is not threaded; browsers are moot).
      const out = blas && memoryOf(backend)?.buffer instanceof ArrayBuffer ? impl(blas, backend, args as KFArgs) : null;
      return out ?? below.kernelFunc(args);
    },
  };
}
