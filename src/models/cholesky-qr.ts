// The Q of a tall matrix's thin QR (diag(R) > 0) by CholeskyQR, in place,
// every O(m n^2) and O(n^3) step a float32 GEMM (./gemm.ts) on blocks of one
// heap. The m x n matrix A is held transposed, as `chunks` pieces: A's rows
// cut into chunks of h = m / chunks rows, each stored as its n x h transpose
// (row-major), one after the other. An LSTM's 4H x in matrix cut in its 4
// gates is thus stored as the gates' [in, H] weights, ready to use as they
// are. One pass:
//
//   G = AᵀA = Σ_k C_k C_kᵀ (lower block rows);  G = L Lᵀ (blocked Cholesky, L kept in G);
//   C_k <- L⁻¹ C_k, i.e. A <- A L⁻ᵀ (blocked forward substitution)
//
// Only the b x b diagonal blocks are factored and inverted in JS (float64).
// One pass leaves Q about eps32·cond(A)² from the exact one (the float32
// Gram); a second pass, on an almost orthonormal matrix, brings it to about
// eps32·cond(A), the accuracy of a backward-stable QR (CholeskyQR2).
//
// Memory: this machine's page faults cost about 5 ms per fresh MB, so the
// heap holds A, one n x n matrix and a b x (m + n + b) scratch, nothing else.
import { heapGemm, type Gemm } from './gemm.js';

/** Column-block width: large enough for efficient GEMMs, small enough that the JS float64 diagonal work stays minor. */
export const BLOCK = 256;

/** Floats the heap needs: A (m x n), G (n x n) and the scratch (m x b product, b x n and b x b blocks). */
export function choleskyQrHeapFloats(m: number, n: number, block = BLOCK): number {
  return m * n + n * n + scratchFloats(m, n, block);
}

function scratchFloats(m: number, n: number, b: number): number {
  return Math.max(m, n) * b + n * b + b * b;
}

/**
 * Overwrites A, held at heap[0, m·n) in `chunks` transposed chunks (see the
 * top of this file), with the Q of its QR held the same way, by `passes`
 * CholeskyQR passes. Returns false when a Gram matrix is not numerically
 * positive definite; heap[0, m·n) then holds the input or, after a completed
 * pass, a matrix with the same Q (A R⁻¹ for an upper triangular R with
 * positive diagonal), so an exact QR of it still gives the wanted Q. The
 * heap must own its ArrayBuffer.
 */
export function choleskyQrInPlace(
  heap: Float32Array,
  m: number,
  n: number,
  chunks: number,
  passes: number,
  block = BLOCK,
): boolean {
  if (m < n || m % chunks !== 0) throw new RangeError(`choleskyQrInPlace: needs m >= n, m a multiple of ${chunks}`);
  if (heap.length < choleskyQrHeapFloats(m, n, block)) throw new RangeError('choleskyQrInPlace: heap too small');
  const gemm = heapGemm(heap);
  const lay: Layout = { m, n, h: m / chunks, chunks, b: block, g: m * n, s: m * n + n * n };
  for (let p = 0; p < passes; p++) {
    gram(gemm, lay);
    const diagInv = cholesky(heap, gemm, lay);
    if (!diagInv) return false;
    solveInPlace(heap, gemm, lay, diagInv);
  }
  return true;
}

interface Layout {
  readonly m: number;
  readonly n: number;
  /** Rows of A per chunk, and the chunks: chunk k is the n x h matrix at k·n·h. */
  readonly h: number;
  readonly chunks: number;
  /** Block width. */
  readonly b: number;
  /** Offsets: G (n x n), the scratch. */
  readonly g: number;
  readonly s: number;
}

/** Lower block rows of G = Σ_k C_k C_kᵀ (the blocks above the diagonal are never read). */
function gram(gemm: Gemm, { n, h, chunks, b, g }: Layout): void {
  for (let k = 0; k < chunks; k++) {
    const c = k * n * h;
    for (let i0 = 0; i0 < n; i0 += b) {
      const ib = Math.min(b, n - i0);
      gemm(false, true, ib, i0 + ib, h, c + i0 * h, h, c, h, g + i0 * n, n, k > 0);
    }
  }
}

/**
 * Right-looking blocked Cholesky of G in place: the off-diagonal blocks of L
 * replace G's lower blocks; the diagonal blocks' inverses L_KK⁻¹ (float64,
 * row-major) are returned, or null when G is not positive definite.
 */
function cholesky(heap: Float32Array, gemm: Gemm, { n, b, g, s }: Layout): Float64Array[] | null {
  const diagInv: Float64Array[] = [];
  for (let k0 = 0; k0 < n; k0 += b) {
    const kb = Math.min(b, n - k0);
    const d = new Float64Array(kb * kb);
    for (let i = 0; i < kb; i++) for (let j = 0; j <= i; j++) d[i * kb + j] = heap[g + (k0 + i) * n + k0 + j]!;
    if (!cholesky64(d, kb)) return null;
    const inv = lowerInverse64(d, kb);
    diagInv.push(inv);
    const k1 = k0 + kb;
    const rest = n - k1;
    if (rest === 0) break;
    // Panel P = G[k1:, K] · L_KK⁻ᵀ into the scratch (a GEMM cannot write over its input), then back into G.
    const w = s + rest * kb;
    heap.set(inv, w);
    gemm(false, true, rest, kb, kb, g + k1 * n + k0, n, w, kb, s, kb, false);
    for (let i = 0; i < rest; i++) heap.copyWithin(g + (k1 + i) * n + k0, s + i * kb, s + (i + 1) * kb);
    // Trailing lower block rows: G[I, k1:iEnd] -= P_I P[0:iEnd-k1]ᵀ. The GEMM only adds, so it takes -P.
    for (let i = 0; i < rest * kb; i++) heap[s + i] = -heap[s + i]!;
    for (let i0 = k1; i0 < n; i0 += b) {
      const ib = Math.min(b, n - i0);
      gemm(false, true, ib, i0 + ib - k1, kb, s + (i0 - k1) * kb, kb, g + k1 * n + k0, n, g + i0 * n + k1, n, true);
    }
  }
  return diagInv;
}

/** C_k <- L⁻¹ C_k for every chunk: forward substitution by block rows J, each chunk's rows J over its own. */
function solveInPlace(heap: Float32Array, gemm: Gemm, lay: Layout, diagInv: Float64Array[]): void {
  const { n, h, chunks, b, g, s } = lay;
  const t = s; // jb x h product
  const neg = s + Math.max(lay.m, n) * b; // jb x j0: -L[J, 0:j0]
  const w = neg + n * b; // jb x jb: L_JJ⁻¹
  for (let j0 = 0, bj = 0; j0 < n; j0 += b, bj++) {
    const jb = Math.min(b, n - j0);
    // The GEMM only adds, so it takes -L.
    for (let i = 0; i < jb; i++) {
      const row = g + (j0 + i) * n;
      for (let k = 0; k < j0; k++) heap[neg + i * j0 + k] = -heap[row + k]!;
    }
    heap.set(diagInv[bj]!, w);
    for (let k = 0; k < chunks; k++) {
      const c = k * n * h;
      // C[J, :] -= L[J, 0:j0] · Q[0:j0, :], then Q[J, :] = L_JJ⁻¹ · C[J, :] through the scratch.
      if (j0 > 0) gemm(false, false, jb, h, j0, neg, j0, c, h, c + j0 * h, h, true);
      gemm(false, false, jb, h, jb, w, jb, c + j0 * h, h, t, h, false);
      heap.copyWithin(c + j0 * h, t, t + jb * h);
    }
  }
}

/** In-place lower Cholesky of a k x k float64 block (lower part read, upper zeroed), false if not positive definite. */
function cholesky64(d: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const rj = j * k;
    let s = d[rj + j]!;
    for (let p = 0; p < j; p++) s -= d[rj + p]! * d[rj + p]!;
    if (!(s > 0)) return false;
    const djj = Math.sqrt(s);
    d[rj + j] = djj;
    for (let i = j + 1; i < k; i++) {
      const ri = i * k;
      let t = d[ri + j]!;
      for (let p = 0; p < j; p++) t -= d[ri + p]! * d[rj + p]!;
      d[ri + j] = t / djj;
    }
    for (let p = j + 1; p < k; p++) d[rj + p] = 0;
  }
  return true;
}

/** The inverse of a lower-triangular k x k float64 block, row by row (each step an axpy over a contiguous row). */
function lowerInverse64(d: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const ri = i * k;
    for (let p = 0; p < i; p++) {
      const lip = d[ri + p]!;
      if (lip === 0) continue;
      const rp = p * k;
      for (let j = 0; j <= p; j++) out[ri + j] -= lip * out[rp + j]!;
    }
    const dii = d[ri + i]!;
    for (let j = 0; j < i; j++) out[ri + j] /= dii;
    out[ri + i] = 1 / dii;
  }
  return out;
}
