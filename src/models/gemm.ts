// Float32 matrix products on sub-blocks of one Float32Array (offsets and
// leading dimensions in floats, row-major), for the large orthogonal init
// (./cholesky-qr.ts). The native OpenBLAS addon computes them in place when it
// loads, on any tf backend; otherwise tf.matMul on copies of the blocks.
import * as tf from '@tensorflow/tfjs-core';
import { nativeBlas } from '../engine/native/blas.js';

/** C = op(A) op(B) (+ C when accumulate), every matrix a block of the same heap. */
export type Gemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  aOff: number,
  lda: number,
  bOff: number,
  ldb: number,
  cOff: number,
  ldc: number,
  accumulate: boolean,
) => void;

/** Whether heapGemm is fast here: the native addon, or a tf backend whose matMul beats a JS loop (not cpu). */
export function fastGemmAvailable(): boolean {
  return nativeBlas() !== null || tf.getBackend() !== 'cpu';
}

/** A Gemm over `heap`, which must own its whole ArrayBuffer (the addon takes the buffer and float offsets). */
export function heapGemm(heap: Float32Array): Gemm {
  if (heap.byteOffset !== 0 || !(heap.buffer instanceof ArrayBuffer))
    throw new RangeError('heapGemm: the heap must start its own (non-shared) ArrayBuffer');
  const blas = nativeBlas();
  const buffer = heap.buffer;
  if (blas)
    return (tA, tB, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, acc) =>
      blas.gemm(buffer, +tA, +tB, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, +acc, 1, 0, 0, 0);
  return (tA, tB, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, acc) => {
    const c = tf.tidy(() => {
      const a = block(heap, aOff, lda, tA ? k : m, tA ? m : k);
      const b = block(heap, bOff, ldb, tB ? n : k, tB ? k : n);
      return tf.matMul(a, b, tA, tB);
    });
    const v = c.dataSync();
    c.dispose();
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      if (acc) for (let j = 0; j < n; j++) heap[row + j] += v[i * n + j];
      else heap.set(v.subarray(i * n, (i + 1) * n), row);
    }
  };
}

function block(heap: Float32Array, off: number, ld: number, rows: number, cols: number): tf.Tensor2D {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(heap.subarray(off + i * ld, off + i * ld + cols), i * cols);
  return tf.tensor2d(out, [rows, cols]);
}
