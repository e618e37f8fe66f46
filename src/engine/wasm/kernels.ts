// Fast training kernels for the wasm backend.
//
// tfjs-backend-wasm 4.22 runs Conv2D and untransposed single-batch MatMul on
// XNNPACK (fast), but it has no Conv2DBackpropFilter at all, and its
// Conv2DBackpropInput and transposed/batched BatchMatMul are naive C++ loops
// (about 10x slower per FLOP). Training needs all three. Each kernel here
// rewrites the slow one as XNNPACK Conv2D / plain MatMul calls plus cheap
// layout changes, so model code stays plain TensorFlow.js.
// Also replaced, because a training step hits them hard: Identity and Cast
// (share instead of copy), Transpose (tiled JS / SIMD instead of per-element
// C++), MaxPoolGrad, Sum and Mean over leading axes, LeakyRelu and its
// gradient (js-kernels.ts, simd.wat). Every replacement hands the cases it
// does not cover back to the backend's own kernel.
// Where the native GEMM addon loads, Conv2D, both conv gradients and
// BatchMatMul go to it instead (native-kernels.ts), with these below it.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Ops, originals, type TI } from './ops.js';
import { transposeInto, type TileFn } from './transpose.js';
import { heapOffset, simdFor } from './simd.js';
import { convInfoOf, type ConvAttrs } from './conv-info.js';
import { loadNativeBlas } from '../native/blas.js';
import { NATIVE_KERNEL_NAMES, nativeKernel } from './native-kernels.js';
import {
  LEAKY_RELU_GRAD,
  leakyReluGradConfig,
  leakyReluGradCpu,
  leakyReluGradWasm,
  leakyReluJs,
  maxPoolGradJs,
  reduceLeadingJs,
} from './js-kernels.js';

const { util } = tf;

/**
 * With very few image channels (the first encoder conv and the last decoder
 * conv: 1 channel for Fashion-MNIST, 3 for RGB) XNNPACK's GEMMs run with an
 * output width of 1-3 columns or an inner dimension of 25, at 3-5 GFLOP/s.
 * There an explicit im2col / col2im in JS around one well-shaped matMul is
 * about twice as fast.
 */
const SMALL_CHANNELS = 4;
/** Largest patch matrix (elements) we build for that. */
const MAX_IM2COL = 1 << 24;

/** dW = patches(x)^T @ dy: patches^T [KH*KW*Ci, N*OH*OW] built in JS, then one matMul. */
function filterGradIm2col(ops: Ops, x: TI, dy: TI, info: tf.backend_util.Conv2DInfo): TI {
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: ci,
    outHeight: oh,
    outWidth: ow,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const p = n * oh * ow;
  const rows = kh * kw * ci;
  const patchT = ops.backend.makeOutput([rows, p], 'float32');
  const X = ops.backend.typedArrayFromHeap(x) as Float32Array;
  const PT = ops.backend.typedArrayFromHeap(patchT) as Float32Array;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < ci; c++) {
        let o = ((i * kw + j) * ci + c) * p;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const y = oy * sh + i - pt;
            if (y < 0 || y >= h) {
              PT.fill(0, o, o + ow);
              o += ow;
              continue;
            }
            const rowBase = (b * h + y) * w;
            for (let ox = 0; ox < ow; ox++, o++) {
              const xx = ox * sw + j - pl;
              PT[o] = xx >= 0 && xx < w ? X[(rowBase + xx) * ci + c]! : 0;
            }
          }
        }
      }
    }
  }
  const dy2 = ops.reshape(dy, [p, co]);
  const g = ops.matMul2d(patchT, dy2);
  ops.free(patchT, dy2);
  const out = ops.reshape(g, [kh, kw, ci, co]);
  ops.free(g);
  return out;
}

/** dx via Z = dy @ W^T ([N*OH*OW, KH*KW*Ci], one matMul) and a JS scatter-add of Z's columns into dx. */
function inputGradCol2im(ops: Ops, dy: TI, filter: TI, info: tf.backend_util.Conv2DInfo): TI {
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: ci,
    outHeight: oh,
    outWidth: ow,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const kkc = kh * kw * ci;
  // W [KH,KW,Ci,Co] -> Wm [Co, KH*KW*Ci]
  const wt = ops.transpose(filter, [3, 0, 1, 2]);
  const wm = ops.reshape(wt, [co, kkc]);
  ops.free(wt);
  const dy2 = ops.reshape(dy, [n * oh * ow, co]);
  const z = ops.matMul2d(dy2, wm);
  ops.free(dy2, wm);
  const out = ops.backend.makeOutput([n, h, w, ci], 'float32');
  const Z = ops.backend.typedArrayFromHeap(z) as Float32Array;
  const DX = ops.backend.typedArrayFromHeap(out) as Float32Array;
  DX.fill(0);
  let zi = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let i = 0; i < kh; i++) {
          const y = oy * sh + i - pt;
          if (y < 0 || y >= h) {
            zi += kw * ci;
            continue;
          }
          const rowBase = (b * h + y) * w;
          for (let j = 0; j < kw; j++) {
            const xx = ox * sw + j - pl;
            if (xx < 0 || xx >= w) {
              zi += ci;
              continue;
            }
            const d = (rowBase + xx) * ci;
            for (let c = 0; c < ci; c++) DX[d + c] += Z[zi++]!;
          }
        }
      }
    }
  }
  ops.free(z);
  return out;
}

/**
 * dW[kh,kw,ci,co] = sum_{n,oy,ox} x[n, oy*s+kh-pt, ox*s+kw-pl, ci] * dy[n,oy,ox,co]
 * is a convolution of x^T [Ci,H,W,N] (batch Ci, channels N) with dy^T
 * [OH,OW,N,Co] used as the filter, dilated by the stride: output [Ci,KH,KW,Co].
 */
export function conv2DBackpropFilterImpl(
  backend: BackendWasm,
  x: TI,
  dy: TI,
  attrs: ConvAttrs & { filterShape: number[] },
): TI {
  const ops = new Ops(backend);
  const info = convInfoOf(x.shape, attrs.filterShape, attrs, 'Conv2DBackpropFilter');
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: oh,
    outWidth: ow,
    inHeight: h,
    inWidth: w,
  } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const patchElems = kh * kw * info.inChannels * info.batchSize * oh * ow;
  if (info.inChannels <= SMALL_CHANNELS && patchElems <= MAX_IM2COL) return filterGradIm2col(ops, x, dy, info);
  // Bottom/right padding that makes the output exactly KH x KW; negative means
  // trailing input rows no output pixel reads (valid padding, stride > 1).
  const pb = kh + (oh - 1) * sh - h - pt;
  const pr = kw + (ow - 1) * sw - w - pl;
  const xt = ops.transpose(x, [3, 1, 2, 0]);
  const dyt = ops.transpose(dy, [1, 2, 0, 3]);
  const g = ops.conv2dSigned(xt, dyt, [1, 1], [sh, sw], [pt, pb, pl, pr]);
  ops.free(xt, dyt);
  const out = ops.transpose(g, [1, 2, 0, 3]);
  ops.free(g);
  return out;
}

/** One output phase of a strided transposed convolution, along one axis. */
interface Phase {
  /** Residue of the output index modulo the stride. */
  r: number;
  /** Taps of the filter that reach this phase. */
  taps: number;
  /** First index of those taps in the spatially reversed filter (then every stride-th). */
  start: number;
  /** Output length of this phase. */
  len: number;
  padBefore: number;
  padAfter: number;
}

function phases(k: number, s: number, p: number, inLen: number, outLen: number): Phase[] {
  // Output index y = s*a + r receives dy[o] * W[kk] for y + p = o*s + kk, i.e.
  // taps kk = phi + s*t (phi = (r+p) mod s), o = a + c - t (c = floor((r+p)/s)).
  // Reversing the tap order makes it a plain stride-1 correlation of dy.
  const out: Phase[] = [];
  for (let r = 0; r < s; r++) {
    const phi = (r + p) % s;
    const taps = phi < k ? Math.ceil((k - phi) / s) : 0;
    const c = Math.floor((r + p) / s);
    const len = r < inLen ? Math.ceil((inLen - r) / s) : 0;
    const padBefore = taps - 1 - c;
    const padAfter = len - outLen + taps - 1 - padBefore;
    out.push({ r, taps, start: k - 1 - phi - s * (taps - 1), len, padBefore, padAfter });
  }
  return out;
}

/**
 * dx of a conv2d (also conv2dTranspose's forward): for each of the s*s output
 * phases a stride-1 conv of dy with the spatially reversed, channel-swapped
 * filter's taps of that phase; the phases are then interleaved. No FLOP is
 * spent on the zeros a zero-insertion formulation would multiply.
 */
export function conv2DBackpropInputImpl(
  backend: BackendWasm,
  dy: TI,
  filter: TI,
  attrs: ConvAttrs & { inputShape: number[] },
): TI {
  const ops = new Ops(backend);
  const info = convInfoOf(attrs.inputShape, filter.shape, attrs, 'Conv2DBackpropInput');
  const {
    batchSize: n,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: oh,
    outWidth: ow,
    inHeight: h,
    inWidth: w,
    inChannels: ci,
  } = info;
  if (ci <= SMALL_CHANNELS && n * oh * ow * kh * kw * ci <= MAX_IM2COL) return inputGradCol2im(ops, dy, filter, info);
  const swapped = ops.transpose(filter, [0, 1, 3, 2]);
  const reversed = ops.reverse(swapped, [0, 1]);
  ops.free(swapped);
  const py = phases(kh, sh, info.padInfo.top, h, oh);
  const px = phases(kw, sw, info.padInfo.left, w, ow);
  const ah = Math.ceil(h / sh);
  const aw = Math.ceil(w / sw);
  const parts: TI[] = [];
  try {
    for (const fy of py) {
      for (const fx of px) {
        let sub: TI;
        if (fy.taps === 0 || fx.taps === 0 || fy.len === 0 || fx.len === 0) {
          sub = ops.zeros([n, ah, aw, ci]);
        } else {
          let f = reversed;
          if (sh > 1 || sw > 1) {
            f = ops.run(
              tf.StridedSlice,
              { x: reversed },
              {
                begin: [fy.start, fx.start, 0, 0],
                end: [
                  fy.start + sh * (fy.taps - 1) + 1,
                  fx.start + sw * (fx.taps - 1) + 1,
                  reversed.shape[2],
                  reversed.shape[3],
                ],
                strides: [sh, sw, 1, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            );
          }
          sub = ops.conv2dSigned(dy, f, [1, 1], [1, 1], [fy.padBefore, fy.padAfter, fx.padBefore, fx.padAfter]);
          if (f !== reversed) ops.free(f);
          if (sh === 1 && sw === 1) return sub;
          if (fy.len < ah || fx.len < aw) {
            const padded = ops.pad(sub, [
              [0, 0],
              [0, ah - fy.len],
              [0, aw - fx.len],
              [0, 0],
            ]);
            ops.free(sub);
            sub = padded;
          }
        }
        const sub5 = ops.reshape(sub, [1, n, ah, aw, ci]);
        ops.free(sub);
        parts.push(sub5);
      }
    }
    // [sh*sw, n, ah, aw, ci] -> [n, ah, sh, aw, sw, ci] -> [n, ah*sh, aw*sw, ci]
    const stacked = parts.length === 1 ? parts[0]! : ops.concat(parts, 0);
    const six = ops.reshape(stacked, [sh, sw, n, ah, aw, ci]);
    if (stacked !== parts[0]) ops.free(stacked);
    const inter = ops.transpose(six, [2, 3, 0, 4, 1, 5]);
    ops.free(six);
    const full = ops.reshape(inter, [n, ah * sh, aw * sw, ci]);
    ops.free(inter);
    if (ah * sh === h && aw * sw === w) return full;
    const cropped = ops.slice(full, [0, 0, 0, 0], [n, h, w, ci]);
    ops.free(full);
    return cropped;
  } finally {
    ops.free(reversed, ...parts);
  }
}

/** Below this many multiply-adds the original loop beats XNNPACK's operator setup. */
const MATMUL_MIN_MACS = 32 * 32 * 32;

/**
 * Relative costs per element, measured on wasm here: XNNPACK packs the right
 * operand of every matMul whose right operand it has not seen (a strided
 * gather, ~18 ns/element); our tiled JS transpose moves ~4 ns/element.
 */
const COST_TRANSPOSE = 1;
const COST_PACK = 4.5;

/**
 * Data used before as a matMul operand. A tensor used again (the weights of an
 * evaluation loop) is worth packing once, since XNNPACK caches the packed
 * copy until the tensor is disposed; a one-off (weights that change every
 * training step) is not.
 */
const packed = new WeakSet<object>();
const seen = new WeakSet<object>();

/**
 * BatchMatMul as plain XNNPACK matMuls (A [M,K] @ B [K,N], B packed), with
 * explicit transposes where needed. For out = op(a) op(b) it chooses between
 * that form and out^T = op(b)^T op(a)^T by the elements moved: transposes plus
 * packing of the right operand. So the LSTM's x W transposes W once (cheaper
 * than packing it) and dy W^T packs only dy^T.
 */
export function batchMatMulImpl(
  backend: BackendWasm,
  a: TI,
  b: TI,
  transposeA: boolean,
  transposeB: boolean,
): TI | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const [a0, a1] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [b0, b1] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const nn = transposeB ? b0 : b1;
  if (k !== (transposeB ? b1 : b0)) return null; // let the original kernel report the mismatch
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...outBatch, m, nn];
  if (m * nn * k < MATMUL_MIN_MACS) return null;
  const ops = new Ops(backend);

  /** a2 [a0,a1], b2 [b0,b1] (unbatched) with the kernel's flags; `bIsInput`: b2 holds the caller's b data. */
  const mm2d = (a2: TI, b2: TI, bIsInput: boolean, aIsInput: boolean): TI => {
    const sizeA = a0 * a1;
    const sizeB = b0 * b1;
    const packB = !transposeB && bIsInput && (packed.has(b2.dataId) || seen.has(b2.dataId)) ? 0 : COST_PACK;
    const packA = transposeA && aIsInput && (packed.has(a2.dataId) || seen.has(a2.dataId)) ? 0 : COST_PACK;
    if (bIsInput) seen.add(b2.dataId);
    if (aIsInput) seen.add(a2.dataId);
    const costDirect = COST_TRANSPOSE * ((transposeA ? sizeA : 0) + (transposeB ? sizeB : 0)) + packB * sizeB;
    const costSwapped = COST_TRANSPOSE * ((transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + m * nn) + packA * sizeA;
    if (costDirect <= costSwapped) {
      const l = transposeA ? ops.transpose(a2, [1, 0]) : a2;
      const r = transposeB ? ops.transpose(b2, [1, 0]) : b2;
      if (r === b2 && bIsInput) packed.add(b2.dataId);
      const out = ops.matMul2d(l, r);
      if (l !== a2) ops.free(l);
      if (r !== b2) ops.free(r);
      return out;
    }
    // out^T [N,M] = op(b)^T [N,K] @ op(a)^T [K,M]
    const l = transposeB ? b2 : ops.transpose(b2, [1, 0]);
    const r = transposeA ? a2 : ops.transpose(a2, [1, 0]);
    if (r === a2 && aIsInput) packed.add(a2.dataId);
    const outT = ops.matMul2d(l, r);
    if (l !== b2) ops.free(l);
    if (r !== a2) ops.free(r);
    const out = ops.transpose(outT, [1, 0]);
    ops.free(outT);
    return out;
  };

  if (batchA === 1 && batchB === 1) {
    const a2 = ops.reshape(a, [a0, a1]);
    const b2 = ops.reshape(b, [b0, b1]);
    const out = mm2d(a2, b2, true, true);
    ops.free(a2, b2);
    const shaped = ops.reshape(out, outShape);
    ops.free(out);
    return shaped;
  }
  if (batchB === 1 && !transposeA && batchA > 1) {
    // x [..., M, K] @ W: one matMul over all batch rows.
    const a2 = ops.reshape(a, [batchA * a0, a1]);
    const b2 = ops.reshape(b, [b0, b1]);
    let out: TI;
    if (transposeB) {
      const bt = ops.transpose(b2, [1, 0]);
      out = ops.matMul2d(a2, bt);
      ops.free(bt);
    } else {
      packed.add(b2.dataId);
      out = ops.matMul2d(a2, b2);
    }
    ops.free(a2, b2);
    const shaped = ops.reshape(out, outShape);
    ops.free(out);
    return shaped;
  }
  if (batchA === batchB && batchA <= 64 && m * nn * k >= 64 * 64 * 64) {
    // Same batch on both sides, big enough per batch: one XNNPACK call each.
    const a3 = ops.reshape(a, [batchA, a0, a1]);
    const b3 = ops.reshape(b, [batchB, b0, b1]);
    const outs: TI[] = [];
    try {
      for (let i = 0; i < batchA; i++) {
        const ai = ops.slice(a3, [i, 0, 0], [1, a0, a1]);
        const bi = ops.slice(b3, [i, 0, 0], [1, b0, b1]);
        const ai2 = ops.reshape(ai, [a0, a1]);
        const bi2 = ops.reshape(bi, [b0, b1]);
        ops.free(ai, bi);
        const o = mm2d(ai2, bi2, false, false);
        ops.free(ai2, bi2);
        outs.push(ops.reshape(o, [1, m, nn]));
        ops.free(o);
      }
      const cat = ops.concat(outs, 0);
      const shaped = ops.reshape(cat, outShape);
      ops.free(cat);
      return shaped;
    } finally {
      ops.free(a3, b3, ...outs);
    }
  }
  return null;
}

function transposeKernel(backend: BackendWasm, x: TI, perm: number[]): TI | null {
  if (x.dtype === 'string' || x.dtype === 'complex64') return null;
  const out = backend.makeOutput(
    perm.map((p) => x.shape[p]!),
    x.dtype,
  );
  // Views after the allocation: growing the heap detaches older views.
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array | Uint8Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array | Uint8Array;
  const simd = src.BYTES_PER_ELEMENT === 4 ? simdFor(backend) : null;
  let fast: TileFn | undefined;
  if (simd) {
    const ps = heapOffset(backend, x);
    const pd = heapOffset(backend, out);
    // 4x4 SIMD register transposes for tiles whose sides are multiples of 4.
    fast = (s0, sStride, d0, dStride, ni, nj) => {
      if ((ni & 3) !== 0 || (nj & 3) !== 0) return false;
      simd.transpose_tile(ps + 4 * s0, sStride, pd + 4 * d0, dStride, ni, nj);
      return true;
    };
  }
  transposeInto(src, dst, x.shape, perm, fast);
  return out;
}

/**
 * Identity (and a same-dtype Cast) share the input's buffer, as on the cpu
 * backend, instead of copying it. tfjs clones every tensor it saves for the
 * backward pass, so the copying version costs ~200 full copies per training
 * step of the paper's network. Sharing is safe because tfjs tensors are
 * immutable (Reshape already shares on wasm); only the reference count moves.
 */
function share(backend: BackendWasm, x: TI): TI {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

// ---------------------------------------------------------------------------
// Registration

type KFArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }: KFArgs) =>
    conv2DBackpropFilterImpl(
      backend as BackendWasm,
      inputs.x as TI,
      inputs.dy as TI,
      attrs as unknown as ConvAttrs & { filterShape: number[] },
    ),
};

const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }: KFArgs) =>
    conv2DBackpropInputImpl(
      backend as BackendWasm,
      inputs.dy as TI,
      inputs.filter as TI,
      attrs as unknown as ConvAttrs & { inputShape: number[] },
    ),
};

const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: (args: KFArgs) => {
    const { a, b } = args.inputs as { a: TI; b: TI };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const fast = batchMatMulImpl(args.backend as BackendWasm, a, b, transposeA, transposeB);
    return fast ?? originals.get(tf.BatchMatMul)!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
  },
};

const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: (args: KFArgs) => {
    const x = args.inputs.x as TI;
    if (x.dtype === 'string') return originals.get(tf.Identity)!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    return share(args.backend as BackendWasm, x);
  },
};

const castConfig: tf.KernelConfig = {
  kernelName: tf.Cast,
  backendName: 'wasm',
  kernelFunc: (args: KFArgs) => {
    const x = args.inputs.x as TI;
    const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
    if (x.dtype === dtype && dtype !== 'string') return share(args.backend as BackendWasm, x);
    if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
      // The backend's own Cast copies the numbers into bytes (-5 becomes 251);
      // tfjs defines bool as x != 0.
      const backend = args.backend as BackendWasm;
      const out = backend.makeOutput([...x.shape], 'bool');
      const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
      const dst = backend.typedArrayFromHeap(out) as Uint8Array;
      for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
    return originals.get(tf.Cast)!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
  },
};

const transposeConfig: tf.KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  kernelFunc: (args: KFArgs) => {
    const out = transposeKernel(
      args.backend as BackendWasm,
      args.inputs.x as TI,
      (args.attrs as { perm: number[] }).perm,
    );
    return out ?? originals.get(tf.Transpose)!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
  },
};

/** A wasm kernel of ours that hands the cases it does not cover back to the original. */
function withFallback(kernelName: string, impl: (args: KFArgs) => TI | null): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args: KFArgs) =>
      impl(args) ?? originals.get(kernelName)!.kernelFunc(args as Parameters<tf.KernelFunc>[0]),
  };
}

const maxPoolGradConfig = withFallback(tf.MaxPoolGrad, ({ inputs, backend, attrs }) =>
  maxPoolGradJs(
    backend as BackendWasm,
    inputs.dy as TI,
    inputs.input as TI,
    attrs as unknown as Parameters<typeof maxPoolGradJs>[3],
  ),
);
const sumConfig = withFallback(tf.Sum, ({ inputs, backend, attrs }) =>
  reduceLeadingJs(
    backend as BackendWasm,
    inputs.x as TI,
    attrs as unknown as { axis: number[]; keepDims: boolean },
    false,
  ),
);
const meanConfig = withFallback(tf.Mean, ({ inputs, backend, attrs }) =>
  reduceLeadingJs(
    backend as BackendWasm,
    inputs.x as TI,
    attrs as unknown as { axis: number[]; keepDims: boolean },
    true,
  ),
);
const leakyReluConfig = withFallback(tf.LeakyRelu, ({ inputs, backend, attrs }) =>
  leakyReluJs(backend as BackendWasm, inputs.x as TI, (attrs as unknown as { alpha: number }).alpha),
);

/** Every kernel we add or replace, by name. */
export const FAST_KERNELS: Readonly<Record<string, tf.KernelConfig>> = {
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilterConfig,
  [tf.Conv2DBackpropInput]: conv2DBackpropInputConfig,
  [tf.BatchMatMul]: batchMatMulConfig,
  [tf.Identity]: identityConfig,
  [tf.Cast]: castConfig,
  [tf.Transpose]: transposeConfig,
  [tf.MaxPoolGrad]: maxPoolGradConfig,
  [tf.Sum]: sumConfig,
  [tf.Mean]: meanConfig,
  [tf.LeakyRelu]: leakyReluConfig,
  // Not a tfjs kernel: the one-pass LeakyRelu gradient (see js-kernels.ts).
  [LEAKY_RELU_GRAD]: leakyReluGradWasm,
};

let originalLeakyReluGrad: tf.GradConfig | null | undefined;

/** Our LeakyRelu gradient (same maths, one kernel where available); idempotent. */
function installLeakyReluGradient(): void {
  if (originalLeakyReluGrad === undefined) originalLeakyReluGrad = tf.getGradient(tf.LeakyRelu) ?? null;
  if (tf.getGradient(tf.LeakyRelu) !== leakyReluGradConfig) {
    tf.unregisterGradient(tf.LeakyRelu);
    tf.registerGradient(leakyReluGradConfig);
  }
  if (!tf.getKernel(LEAKY_RELU_GRAD, 'cpu')) tf.registerKernel(leakyReluGradCpu);
}

function uninstallLeakyReluGradient(): void {
  if (originalLeakyReluGrad && tf.getGradient(tf.LeakyRelu) === leakyReluGradConfig) {
    tf.unregisterGradient(tf.LeakyRelu);
    tf.registerGradient(originalLeakyReluGrad);
  }
}

const installed = new Set<string>();

function put(config: tf.KernelConfig): void {
  const name = config.kernelName;
  const current = tf.getKernel(name, 'wasm');
  if (current === config) return;
  if (current) {
    if (!originals.has(name)) originals.set(name, current);
    tf.unregisterKernel(name, 'wasm');
  }
  tf.registerKernel(config);
  installed.add(name);
}

/**
 * Registers our wasm kernels (all by default, or only the named ones).
 * Idempotent. Call after the wasm backend is initialised (initBackend does).
 */
export function installWasmKernels(only?: readonly string[]): void {
  // Our kernels fall back to the backend's own, whose setup (binding their C
  // functions) runs when the backend initialises: install after that.
  if ((tf.engine() as unknown as { registry: Record<string, unknown> }).registry['wasm'] == null) {
    throw new Error('installWasmKernels: initialise the wasm backend first (initBackend("wasm"))');
  }
  for (const [name, config] of Object.entries(FAST_KERNELS)) {
    if (only && !only.includes(name)) continue;
    put(config);
  }
  if (!only || only.includes(LEAKY_RELU_GRAD)) installLeakyReluGradient();
  // The native GEMM kernels go on top, with ours (or the backend's) below them
  // for what they do not cover. A partial install is for benchmarks of the
  // XNNPACK path: it leaves them out.
  if (!only) installNativeKernels();
}

/** One config per name, so installing twice stacks nothing. */
const nativeConfigs = new Map<string, tf.KernelConfig>();

function installNativeKernels(): void {
  if (!loadNativeBlas().blas) return;
  for (const name of NATIVE_KERNEL_NAMES) {
    let config = nativeConfigs.get(name);
    if (!config) {
      const below = FAST_KERNELS[name] ?? originals.get(name) ?? tf.getKernel(name, 'wasm');
      if (!below) continue;
      config = nativeKernel(name, below);
      nativeConfigs.set(name, config);
    }
    put(config);
  }
}

/** Restores the wasm backend's own kernels (Conv2DBackpropFilter, which it lacks, is removed). For benchmarks and tests. */
export function uninstallWasmKernels(): void {
  uninstallLeakyReluGradient();
  for (const name of [...installed]) {
    tf.unregisterKernel(name, 'wasm');
    const orig = originals.get(name);
    if (orig) tf.registerKernel(orig);
    installed.delete(name);
  }
}

/** Names of our kernels now registered on wasm. */
export function installedWasmKernels(): string[] {
  return [...installed].sort();
}
