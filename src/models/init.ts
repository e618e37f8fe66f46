// Weight initialisers, each a pure function of a seeded stream: the numbers
// depend on the seed and the parameter's name, never on the backend (except
// for the float32 rounding of the large orthogonal path, see `orthogonal`).
import * as tf from '@tensorflow/tfjs-core';
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
 * Small matrices take an exact float64 Householder QR in JS. The paper's
 * 8192 x 2048 LSTM matrices take minutes that way (about 150 s here), so on a
 * backend with a fast matMul (not tfjs's cpu one, which is slower than the JS
 * loop) large ones take CholeskyQR (the Gram product and the final product on the tf backend,
 * Cholesky and triangular inverse of the small n x n factor in float64 JS),
 * then one Newton-Schulz step to restore orthogonality lost to float32. Both
 * give the same Q (the QR with positive diag(R) is unique); the large path
 * needs a well-conditioned Gaussian matrix, which a tall one (4H x H for an
 * LSTM) is, and falls back to Householder if Cholesky breaks down.
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
  // torch draws the rows x cols matrix and transposes it when wide; draw the same.
  const g = new Float64Array(m * n);
  if (tall) for (let i = 0; i < m * n; i++) g[i] = rng.normal();
  else {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) g[c * n + r] = rng.normal();
  }
  const useCholesky =
    path === 'cholesky' || (path === 'auto' && m * n * n > 2 ** 30 && m >= 2 * n && tf.getBackend() !== 'cpu');
  const q = (useCholesky ? choleskyQ(g, m, n) : null) ?? householderQ(g, m, n); // m x n row-major
  if (tall) return Float32Array.from(q);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = q[c * n + r];
  return out;
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

/** CholeskyQR + one Newton-Schulz step; null when the Gram matrix is not numerically positive definite. */
function choleskyQ(a: Float64Array, m: number, n: number): Float64Array | null {
  const at = tf.tensor2d(Float32Array.from(a), [m, n]);
  try {
    const gram = tf.tidy(() => tf.matMul(at, at, true, false));
    const gramValues = Float64Array.from(gram.dataSync());
    gram.dispose();
    const rInv = upperInverseFromCholesky(gramValues, n);
    if (!rInv) return null;
    const q = tf.tidy(() => {
      const q1 = tf.matMul(at, tf.tensor2d(Float32Array.from(rInv), [n, n]));
      // Q <- Q (3I - QᵀQ) / 2: first-order correction toward orthonormal columns.
      const e = tf.matMul(q1, q1, true, false);
      return tf.matMul(q1, tf.sub(tf.mul(tf.eye(n), 1.5), tf.mul(e, 0.5)));
    });
    const out = Float64Array.from(q.dataSync());
    q.dispose();
    return out;
  } finally {
    at.dispose();
  }
}

/** R^{-1} (row-major, upper triangular) where G = RᵀR, or null if G is not positive definite. */
function upperInverseFromCholesky(g: Float64Array, n: number): Float64Array | null {
  // Lower Cholesky factor L (G = L Lᵀ), stored row-major; R = Lᵀ.
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * n + j];
      const li = i * n;
      const lj = j * n;
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      if (i === j) {
        if (!(s > 0)) return null;
        l[li + i] = Math.sqrt(s);
      } else l[li + j] = s / l[lj + j];
    }
  }
  // X = L^{-1} (lower), row by row: X[i] = (e_i - sum_{k<i} L[i][k] X[k]) / L[i][i],
  // each term an axpy over contiguous rows.
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const xi = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[xi + k];
      if (lik === 0) continue;
      const xk = k * n;
      for (let j = 0; j <= k; j++) x[xi + j] -= lik * x[xk + j];
    }
    const d = l[xi + i];
    for (let j = 0; j < i; j++) x[xi + j] /= d;
    x[xi + i] = 1 / d;
  }
  // R^{-1} = (Lᵀ)^{-1} = (L^{-1})ᵀ.
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[j * n + i] = x[i * n + j];
  return out;
}
