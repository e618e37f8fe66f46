// Weight initialisers, each a pure function of a seeded stream: the numbers
// depend on the seed and the parameter's name, never on the backend (except
// for the float32 rounding of the large orthogonal path, see `orthogonal`).
import { choleskyQrHeapFloats, choleskyQrInPlace } from './cholesky-qr.js';
import { fastGemmAvailable } from './gemm.js';
import type { Rng } from './rng.js';

/** torch.nn.init.calculate_gain('leaky_relu', slope). */
export function leakyReluGain(slope = 0.01): number {
  return Math.sqrt(2 / (1 + slope * slope));
}

export function uniform(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/**
 * torch.nn.init.xavier_uniform_: U(-b, b), b = gain * sqrt(6 / (fanIn + fanOut)).
 * For a k x k conv, fanIn = in*k*k and fanOut = out*k*k; the bound is symmetric
 * in the two, so a transposed conv (torch's fans swapped) gets the same one.
 */
export function xavierUniform(n: number, fanIn: number, fanOut: number, gain: number, rng: Rng): Float32Array {
  return uniform(n, gain * Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/** torch.nn.Linear's default (kaiming_uniform with a = sqrt(5)): U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function linearDefault(n: number, fanIn: number, rng: Rng): Float32Array {
  return uniform(n, 1 / Math.sqrt(fanIn), rng);
}

/**
 * torch.nn.init.orthogonal_ for a rows x cols matrix (row-major result): the Q
 * of the QR of a Gaussian matrix, with columns signed so that diag(R) > 0
 * (torch's `q *= sign(diag(r))`), transposed when rows < cols.
 *
 * Small matrices take an exact float64 Householder QR in JS. Large ones (the
 * paper's 8192 x 2048 LSTM matrix took about 150 s that way) take CholeskyQR
 * in float32 GEMMs (./cholesky-qr.ts) where a fast GEMM is at hand (the
 * native addon, or a tf backend other than cpu). Both give the same Q (the QR
 * with positive diag(R) is unique) up to float32 rounding; the GEMM path
 * needs a well-conditioned matrix, which a tall Gaussian one is (m >= 2n
 * required: cond(A) <= 6), and falls back to Householder on a breakdown.
 */
export function orthogonal(
  rows: number,
  cols: number,
  rng: Rng,
  path: 'auto' | 'householder' | 'cholesky' = 'auto',
): Float32Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  if (useGemmPath(m, n, path)) {
    // A wide matrix's transpose (the tall one factored) held transposed is the matrix itself, drawn in order.
    if (!tall) return gemmQ(rows, cols, 1, (a) => rng.fillNormal(a))[0]!;
    return transpose(orthogonalBlocks(rows, cols, 1, rng, path)[0]!, cols, rows);
  }
  const g = new Float64Array(m * n);
  drawTall(g, rows, cols, rng);
  const q = householderQ(g, m, n);
  if (tall) return new Float32Array(q);
  return transpose(q, m, n);
}

/**
 * orthogonal(rows, cols) of a tall matrix, cut into `blocks` row blocks of
 * rows / blocks rows, each returned transposed ([cols, rows / blocks],
 * row-major): for an LSTM's [4H, in] matrix and 4 blocks, the gates' [in, H]
 * weights for x @ W. On the GEMM path they are views on one buffer (no
 * transposes, no copies: about 0.5 s less at the paper's size); never shared.
 */
export function orthogonalBlocks(
  rows: number,
  cols: number,
  blocks: number,
  rng: Rng,
  path: 'auto' | 'householder' | 'cholesky' = 'auto',
): Float32Array[] {
  if (rows < cols || rows % blocks !== 0)
    throw new RangeError(
      `orthogonalBlocks: needs rows >= cols and rows a multiple of ${blocks}, got ${rows} x ${cols}`,
    );
  const h = rows / blocks;
  if (useGemmPath(rows, cols, path)) return gemmQ(rows, cols, blocks, (a) => drawChunked(a, rows, cols, h, rng));
  const g = new Float64Array(rows * cols);
  rng.fillNormal(g);
  return chunksOf(householderQ(g, rows, cols), rows, cols, h);
}

/** m·n² above which a tall matrix takes the GEMM path: Householder in JS costs about 4·m·n² flops (~0.4 s here). */
const FAST_MIN_WORK = 2 ** 26;

function useGemmPath(m: number, n: number, path: 'auto' | 'householder' | 'cholesky'): boolean {
  return path === 'cholesky' || (path === 'auto' && m * n * n > FAST_MIN_WORK && m >= 2 * n && fastGemmAvailable());
}

/**
 * CholeskyQR passes for a tall m x n Gaussian matrix. Its condition number is
 * about (1 + √(n/m)) / (1 - √(n/m)): 3 at 4:1 (an LSTM's 4H x H), 5.8 at 2:1.
 * One float32 pass is off by about eps32·cond², a second by eps32·cond.
 * Measured against the exact Householder Q (bench/orthogonal.ts): at 4:1,
 * 3.4e-8 after one pass and 3.1e-8 after two (max |Q| 0.11, float32 ulp
 * 7.5e-9; orthogonality the same); at 2:1, 9.6e-8 and 4.7e-8. So one pass
 * from 4:1 on, where a second would only double the time.
 */
export function choleskyPasses(m: number, n: number): number {
  return m >= 4 * n ? 1 : 2;
}

/**
 * The GEMM path for the tall m x n matrix that `draw` puts in its transposed
 * chunks of m / chunks rows (./cholesky-qr.ts): Q's chunks, as views.
 */
function gemmQ(m: number, n: number, chunks: number, draw: (a: Float32Array) => void): Float32Array[] {
  const [mm, nn] = m >= n ? [m, n] : [n, m];
  const heap = new Float32Array(choleskyQrHeapFloats(mm, nn));
  const a = heap.subarray(0, mm * nn);
  draw(a);
  const size = (mm * nn) / chunks;
  const views = () => Array.from({ length: chunks }, (_, k) => heap.subarray(k * size, (k + 1) * size));
  if (choleskyQrInPlace(heap, mm, nn, chunks, choleskyPasses(mm, nn))) return views();
  // Not positive definite in float32: the exact path on what the heap holds (the draws, or a matrix with their Q).
  const t = Float64Array.from(a);
  const h = mm / chunks;
  const q = householderQ(unchunk(t, mm, nn, h), mm, nn);
  return chunksOf(q, mm, nn, h);
}

/** The tall rows x cols Gaussian matrix, drawn in torch's order, into transposed chunks of h rows. */
function drawChunked(out: Float32Array, rows: number, cols: number, h: number, rng: Rng): void {
  // Tiles of T rows: drawn in order, then each column's T values written together.
  const T = 64;
  const tile = new Float64Array(T * cols);
  let r0 = 0;
  while (r0 < rows) {
    const tr = Math.min(T, h - (r0 % h)); // never across a chunk boundary
    const part = tile.subarray(0, tr * cols);
    rng.fillNormal(part);
    const base = Math.floor(r0 / h) * cols * h + (r0 % h);
    for (let j = 0; j < cols; j++) {
      const o = base + j * h;
      for (let r = 0; r < tr; r++) out[o + r] = part[r * cols + j]!;
    }
    r0 += tr;
  }
}

/** Row-major m x n from its transposed chunks of h rows. */
function unchunk(c: Float64Array, m: number, n: number, h: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const base = Math.floor(i / h) * n * h + (i % h);
    for (let j = 0; j < n; j++) out[i * n + j] = c[base + j * h]!;
  }
  return out;
}

/** The transposed chunks of h rows of a row-major m x n matrix, as float32 arrays. */
function chunksOf(q: Float64Array, m: number, n: number, h: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let k = 0; k < m / h; k++) out.push(transposeBlock(q, k * h, h, n));
  return out;
}

/** Rows r0..r0+h of a row-major matrix with n columns, transposed (n x h), in cache-sized tiles. */
function transposeBlock(q: Float32Array | Float64Array, r0: number, h: number, n: number): Float32Array {
  const out = new Float32Array(n * h);
  const T = 64;
  for (let i0 = 0; i0 < h; i0 += T) {
    const i1 = Math.min(h, i0 + T);
    for (let j0 = 0; j0 < n; j0 += T) {
      const j1 = Math.min(n, j0 + T);
      for (let i = i0; i < i1; i++) {
        const row = (r0 + i) * n;
        for (let j = j0; j < j1; j++) out[j * h + i] = q[row + j]!;
      }
    }
  }
  return out;
}

/** The transpose of a row-major rows x cols matrix. */
function transpose(q: Float32Array | Float64Array, rows: number, cols: number): Float32Array {
  return transposeBlock(q, 0, rows, cols);
}

/** torch draws the rows x cols matrix and transposes it when wide; fills `out` (m x n, m >= n) with the same. */
function drawTall(out: Float64Array, rows: number, cols: number, rng: Rng): void {
  if (rows >= cols) return rng.fillNormal(out);
  const g = new Float64Array(rows * cols);
  rng.fillNormal(g);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = g[r * cols + c]!;
}

/** Q (m x n, row-major) of the thin QR of a row-major m x n matrix, diag(R) > 0. */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  // Column-major copies: every inner loop then runs over contiguous memory.
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    for (let i = 0; i < m; i++) col[i] = a[i * n + j];
    cols.push(col);
  }
  const vs: Float64Array[] = [];
  const betas = new Float64Array(n);
  const rSign = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = cols[k];
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += x[i] * x[i];
    const norm = Math.sqrt(norm2);
    const alpha = x[k] >= 0 ? -norm : norm; // R[k][k]; sign chosen against cancellation
    const v = x.slice(k);
    v[0] -= alpha;
    let vn2 = 0;
    for (let i = 0; i < v.length; i++) vn2 += v[i] * v[i];
    const beta = vn2 > 0 ? 2 / vn2 : 0;
    for (let j = k; j < n; j++) applyReflector(v, beta, cols[j], k);
    vs.push(v);
    betas[k] = beta;
    rSign[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H_0 ... H_{n-1} applied to the first n columns of the identity.
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    col[j] = 1;
    q.push(col);
  }
  for (let k = n - 1; k >= 0; k--) for (let j = k; j < n; j++) applyReflector(vs[k], betas[k], q[j], k);
  const out = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const s = rSign[j];
    const col = q[j];
    for (let i = 0; i < m; i++) out[i * n + j] = s * col[i];
  }
  return out;
}

function applyReflector(v: Float64Array, beta: number, col: Float64Array, k: number): void {
  if (beta === 0) return;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * col[k + i];
  s *= beta;
  for (let i = 0; i < v.length; i++) col[k + i] -= s * v[i];
}
