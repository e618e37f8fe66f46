// Gaussian AD's statistics (Rippel et al., 2021): a multivariate Gaussian per
// feature level, fitted with the Ledoit-Wolf shrinkage covariance (their code
// calls sklearn's LedoitWolf), and the Mahalanobis distance to it. The fit is
// float64 JS over the training features (sizes up to a few hundred), the
// distance a tfjs op over test batches.
import * as tf from '@tensorflow/tfjs-core';

export interface GaussianFit {
  readonly dim: number;
  readonly mean: Float64Array;
  /** The shrunk covariance, row-major dim x dim. */
  readonly covariance: Float64Array;
  /** Ledoit-Wolf's shrinkage intensity in [0, 1]. */
  readonly shrinkage: number;
}

/**
 * sklearn.covariance.LedoitWolf (assume_centered=False) on n samples of
 * dimension d, x row-major n x d: S = the biased empirical covariance,
 * mu = trace(S)/d, and the shrunk (1 - s) S + s mu I with
 *   s = min(beta, delta) / delta,
 *   delta = (||S||_F^2 - 2 mu trace(S) + d mu^2) / d,
 *   beta = (sum_k ||x_k||^4 / n - ||S||_F^2) / (d n)   (x centred).
 */
export function ledoitWolf(x: ArrayLike<number>, n: number, d: number): GaussianFit {
  if (x.length !== n * d) throw new Error(`ledoitWolf: ${x.length} values for ${n} x ${d}`);
  if (n < 1) throw new Error('ledoitWolf: no samples');
  const mean = new Float64Array(d);
  for (let k = 0; k < n; k++) for (let i = 0; i < d; i++) mean[i] += x[k * d + i];
  for (let i = 0; i < d; i++) mean[i] /= n;
  const c = new Float64Array(n * d);
  for (let k = 0; k < n; k++) for (let i = 0; i < d; i++) c[k * d + i] = x[k * d + i] - mean[i];
  // S = Xc^T Xc / n, accumulated row by row (upper triangle, then mirrored).
  const s = new Float64Array(d * d);
  let sumFourth = 0;
  for (let k = 0; k < n; k++) {
    const row = c.subarray(k * d, (k + 1) * d);
    let sq = 0;
    for (let i = 0; i < d; i++) {
      const v = row[i];
      sq += v * v;
      if (v === 0) continue;
      const si = i * d;
      for (let j = i; j < d; j++) s[si + j] += v * row[j];
    }
    sumFourth += sq * sq;
  }
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      s[i * d + j] /= n;
      s[j * d + i] = s[i * d + j];
    }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += s[i * d + i];
  const mu = trace / d;
  let frob2 = 0;
  for (let i = 0; i < d * d; i++) frob2 += s[i] * s[i];
  const delta = (frob2 - 2 * mu * trace + d * mu * mu) / d;
  const beta = Math.min((sumFourth / n - frob2) / (d * n), delta);
  const shrinkage = beta === 0 || delta === 0 ? 0 : beta / delta;
  const covariance = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) covariance[i] = (1 - shrinkage) * s[i];
  for (let i = 0; i < d; i++) covariance[i * d + i] += shrinkage * mu;
  return { dim: d, mean, covariance, shrinkage };
}

/**
 * The inverse of a symmetric positive definite matrix (Cholesky, float64).
 * `ridge` is added to the diagonal first; when the matrix is still not
 * numerically positive definite (constant features, a single sample) the
 * ridge grows tenfold until it is, so a degenerate fit scores finitely.
 */
export function invertSpd(a: Float64Array, d: number, ridge = 0): Float64Array {
  for (let r = ridge, tries = 0; tries < 40; tries++, r = r > 0 ? r * 10 : 1e-12) {
    const l = cholesky(a, d, r);
    if (l) return inverseFromCholesky(l, d);
  }
  throw new Error('invertSpd: the matrix is not positive definite');
}

function cholesky(a: Float64Array, d: number, ridge: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  return l;
}

/** A^{-1} = L^{-T} L^{-1} from A's lower Cholesky factor L. */
function inverseFromCholesky(l: Float64Array, d: number): Float64Array {
  // X = L^{-1} (lower triangular), by forward substitution per column.
  const x = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    for (let i = col; i < d; i++) {
      let s = i === col ? 1 : 0;
      for (let k = col; k < i; k++) s -= l[i * d + k] * x[k * d + col];
      x[i * d + col] = s / l[i * d + i];
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < d; k++) s += x[k * d + i] * x[k * d + j];
      inv[i * d + j] = s;
      inv[j * d + i] = s;
    }
  return inv;
}

/** sqrt((x - mean)^T P (x - mean)) per row: [B, d], [d], [d, d] -> [B]. */
export function mahalanobis(x: tf.Tensor2D, mean: tf.Tensor1D, precision: tf.Tensor2D): tf.Tensor1D {
  const c = tf.sub(x, mean) as tf.Tensor2D;
  // relu: rounding can make a tiny quadratic form negative.
  return tf.sqrt(tf.relu(tf.sum(tf.mul(tf.matMul(c, precision), c), 1))) as tf.Tensor1D;
}
