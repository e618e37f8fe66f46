// The LSTM's orthogonal initialisation (src/models/init.ts), old path vs new,
// in one run: wall and CPU time of each (the draws, the QR and the four
// gates' [in, H] blocks the LSTM keeps), how far apart their Q are, and how
// orthonormal each is; then the whole paper network's build with the new one.
//
//   env -u OPENBLAS_CORETYPE node --import tsx bench/orthogonal.ts [--seed N] [--exact-size MxN] [--skip-build]
//
// Old path (commit a0ef97b, copied below): 8192 x 2048 by CholeskyQR with
// float32 products on the tf backend, the Cholesky and triangular inverse in
// plain float64 JS loops, one Newton-Schulz step; then each gate's block
// transposed out of the row-major Q. (Smaller matrices, under its size
// threshold, took the exact float64 Householder QR.) The paper network's
// LSTM has two such 8192 x 2048 matrices: weight_hh, and weight_ih (its input
// is the flattened encoder output, 128 x 4 x 4). New path: orthogonalBlocks, one
// CholeskyQR pass with every O(n^3) step a float32 GEMM on the gates' blocks
// in place (src/models/cholesky-qr.ts).
// --exact-size also compares both against the exact Householder Q of an
// M x N matrix (default 2048x512; 8192x2048 takes minutes).
import * as tf from '@tensorflow/tfjs-core';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/index.js';
import { householderQ, orthogonal, orthogonalBlocks } from '../src/models/init.js';
import { buildModel } from '../src/models/index.js';
import { rngStream, type Rng } from '../src/models/rng.js';
import { Arch } from '../src/study/schema.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    'exact-size': { type: 'string', default: '2048x512' },
    'skip-build': { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);

interface Timed<T> {
  readonly value: T;
  readonly wallMs: number;
  readonly cpuMs: number;
}

function timed<T>(f: () => T): Timed<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const c = process.cpuUsage(c0);
  return { value, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** max |QᵀQ - I| over a tall m x n Q given as its transposed row blocks ([n, m / blocks] each). */
function orthError(blocks: Float32Array[], n: number): number {
  return tf.tidy(() => {
    const qt = tf.concat(
      blocks.map((b) => tf.tensor2d(b, [n, b.length / n])),
      1,
    );
    return tf.max(tf.abs(tf.sub(tf.matMul(qt, qt, false, true), tf.eye(n)))).dataSync()[0]!;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function maxAbsDiffBlocks(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(...a.map((x, k) => maxAbsDiff(x, b[k]!)));
}

// ---- the old path, as it was (tall matrices only; the LSTM's are tall) ----

/** The old src/models/lstm.ts: the row-major [4H, in] Q, then each gate's rows transposed to [in, H]. */
function legacyGates(m: number, n: number, rng: Rng): Float32Array[] {
  const q = legacyOrthogonal(m, n, rng);
  const h = m / 4;
  return [0, 1, 2, 3].map((k) => {
    const out = new Float32Array(n * h);
    for (let r = 0; r < h; r++) {
      const row = (k * h + r) * n;
      for (let c = 0; c < n; c++) out[c * h + r] = q[row + c]!;
    }
    return out;
  });
}

function legacyOrthogonal(m: number, n: number, rng: Rng): Float32Array {
  const g = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) g[i] = rng.normal();
  const useCholesky = m * n * n > 2 ** 30 && m >= 2 * n;
  const q = (useCholesky ? legacyCholeskyQ(g, m, n) : null) ?? householderQ(g, m, n);
  return Float32Array.from(q);
}

function legacyCholeskyQ(a: Float64Array, m: number, n: number): Float64Array | null {
  const at = tf.tensor2d(Float32Array.from(a), [m, n]);
  try {
    const gram = tf.tidy(() => tf.matMul(at, at, true, false));
    const gramValues = Float64Array.from(gram.dataSync());
    gram.dispose();
    const rInv = legacyUpperInverse(gramValues, n);
    if (!rInv) return null;
    const q = tf.tidy(() => {
      const q1 = tf.matMul(at, tf.tensor2d(Float32Array.from(rInv), [n, n]));
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

function legacyUpperInverse(g: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * n + j]!;
      const li = i * n;
      const lj = j * n;
      for (let k = 0; k < j; k++) s -= l[li + k]! * l[lj + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[li + i] = Math.sqrt(s);
      } else l[li + j] = s / l[lj + j]!;
    }
  }
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const xi = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[xi + k]!;
      if (lik === 0) continue;
      const xk = k * n;
      for (let j = 0; j <= k; j++) x[xi + j] -= lik * x[xk + j]!;
    }
    const d = l[xi + i]!;
    for (let j = 0; j < i; j++) x[xi + j] /= d;
    x[xi + i] = 1 / d;
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[j * n + i] = x[i * n + j]!;
  return out;
}

// ---- the run ----

const info = await initBackend('wasm');
console.log(
  `CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores); backend ${info.name}, ${info.kernels ?? ''}`,
);
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
console.log('\nmatrix                   path   wall      cpu       max|QᵀQ-I|   max|Q_old-Q_new|');
for (const [m, n, tag] of [
  [8192, 2048, 'weight_hh'],
  [8192, 2048, 'weight_ih'], // the LSTM's input is the flattened encoder output, 128 x 4 x 4
] as const) {
  const old = timed(() => legacyGates(m, n, rngStream(seed, `init:lstm.${tag}`)));
  const neu = timed(() => orthogonalBlocks(m, n, 4, rngStream(seed, `init:lstm.${tag}`)));
  const diff = maxAbsDiffBlocks(old.value, neu.value);
  const maxQ = Math.max(...old.value.map((b) => b.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));
  const ulp = 2 ** (Math.floor(Math.log2(maxQ)) - 23); // float32 spacing at max|Q|
  const size = `${tag} ${m}x${n}`.padEnd(23);
  console.log(`${size}  old  ${fmt(old.wallMs)}  ${fmt(old.cpuMs)}  ${orthError(old.value, n).toExponential(2)}`);
  console.log(
    `${size}  new  ${fmt(neu.wallMs)}  ${fmt(neu.cpuMs)}  ${orthError(neu.value, n).toExponential(2)}     ${diff.toExponential(2)} (${(diff / ulp).toFixed(1)} ulps of max|Q|)`,
  );
}

const [em, en] = values['exact-size'].split('x').map(Number) as [number, number];
{
  const exact = timed(() => orthogonal(em, en, rngStream(seed, 'exact'), 'householder'));
  const fast = orthogonal(em, en, rngStream(seed, 'exact'), 'cholesky');
  const old = Float32Array.from(legacyCholeskyQ(drawTall(em, en, rngStream(seed, 'exact')), em, en)!);
  const maxQ = exact.value.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  console.log(
    `\nagainst the exact Householder Q of ${em}x${en} (${fmt(exact.wallMs).trim()}; max |Q| ${maxQ.toExponential(2)}, ` +
      `its float32 ulp ${(2 ** (Math.floor(Math.log2(maxQ)) - 23)).toExponential(2)}):\n` +
      `  old CholeskyQR + Newton-Schulz  max abs diff ${maxAbsDiff(old, exact.value).toExponential(2)}\n` +
      `  new CholeskyQR (1 pass at 4:1)  max abs diff ${maxAbsDiff(fast, exact.value).toExponential(2)}\n`,
  );
}

function drawTall(m: number, n: number, rng: Rng): Float64Array {
  const g = new Float64Array(m * n);
  rng.fillNormal(g);
  return g;
}

if (!values['skip-build']) {
  // The first build in a process pays for fresh memory (page faults, the wasm heap growing); a worker's later trials reuse it.
  for (const which of ['first', 'second']) {
    const build = timed(() =>
      buildModel('IAE-LSTM-KL', {
        arch: Arch.parse({}),
        input: { height: 32, width: 32, channels: 1 },
        lstmMode: 'sequence',
        seed: which === 'first' ? seed : seed + 1,
        initialise: true,
      }),
    );
    console.log(
      `buildModel('IAE-LSTM-KL', paper arch, sequence LSTM, initialised), new path, ${which} in this process: ` +
        `wall ${fmt(build.wallMs).trim()}, cpu ${fmt(build.cpuMs).trim()}`,
    );
    build.value.dispose();
  }
}
