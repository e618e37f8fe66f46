// The large orthogonal init (src/models/cholesky-qr.ts through
// src/models/init.ts) against the exact float64 Householder QR, on real
// GEMMs: the native OpenBLAS addon when it is built, and tf.matMul on the cpu
// backend with the addon switched off (IAE_NATIVE=0, read per call).
//
// Tolerance for |Q_gemm - Q_exact|: 16 float32 ulps of max|Q|. A float32 QR
// is off from the exact Q by about eps32·cond(A)^p·|Q| (p = 2 after one
// CholeskyQR pass, 1 after two); a tall Gaussian matrix has cond(A) ≈ 3 at
// 4:1 and ≈ 5.8 at 2:1, so 9 and 6 ulps; measured 3 to 6 (bench/orthogonal.ts).
// A wrong sign, order or orientation is off by about max|Q| itself, 2^23
// times more. Orthogonality, max|QᵀQ - I| computed in float64: a float32
// product over m terms rounds each entry of Q by half an ulp and the
// products then add up over m ≥ 1024 terms; measured 4e-7 to 8e-7, bound
// 40·eps32 ≈ 4.8e-6 (a broken Q is off by O(1)).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { choleskyQrHeapFloats, choleskyQrInPlace } from '../../src/models/cholesky-qr.js';
import { choleskyPasses, householderQ, orthogonal, orthogonalBlocks } from '../../src/models/init.js';
import { rngStream } from '../../src/models/rng.js';
import { seedRandom } from '../../src/engine/index.js';
import { useCpu } from './helpers.js';

before(useCpu);
const savedNative = process.env['IAE_NATIVE'];
after(() => {
  if (savedNative === undefined) delete process.env['IAE_NATIVE'];
  else process.env['IAE_NATIVE'] = savedNative;
});

const EPS32 = 2 ** -23;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function ulpOfMax(q: ArrayLike<number>): number {
  let mx = 0;
  for (let i = 0; i < q.length; i++) mx = Math.max(mx, Math.abs(q[i]!));
  return 2 ** (Math.floor(Math.log2(mx)) - 23);
}

/** max |QᵀQ - I| in float64 for a row-major tall m x n Q. */
function orthError(q: ArrayLike<number>, m: number, n: number): number {
  const cols = Array.from({ length: n }, (_, j) => {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = q[i * n + j]!;
    return c;
  });
  let e = 0;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const x = cols[a]!;
      const y = cols[b]!;
      for (let i = 0; i < m; i++) s += x[i]! * y[i]!;
      e = Math.max(e, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return e;
}

for (const native of ['native GEMM (when built)', 'tf.matMul, addon off']) {
  const withGemm = <T>(f: () => T): T => {
    if (native.startsWith('tf')) process.env['IAE_NATIVE'] = '0';
    else if (savedNative === undefined) delete process.env['IAE_NATIVE'];
    else process.env['IAE_NATIVE'] = savedNative;
    return f();
  };

  for (const [m, n] of [
    [1024, 256], // 4:1, an LSTM's shape: one pass
    [768, 384], // 2:1, the least tall the auto path takes: two passes
  ] as const) {
    test(`orthogonal ${m}x${n} on the GEMM path (${native}) agrees with Householder, and QᵀQ = I`, () => {
      const exact = orthogonal(m, n, rngStream(5, 'q'), 'householder');
      const fast = withGemm(() => orthogonal(m, n, rngStream(5, 'q'), 'cholesky'));
      const tol = 16 * ulpOfMax(exact);
      const d = maxAbsDiff(fast, exact);
      assert.ok(d <= tol, `max |Q_gemm - Q_exact| = ${d}, over ${tol} (16 ulps of max|Q|)`);
      assert.ok(d > 0, 'the GEMM path really ran (float32 rounding differs from the float64 QR)');
      const e = orthError(fast, m, n);
      assert.ok(e <= 40 * EPS32, `max |QᵀQ - I| = ${e}`);
      assert.equal(choleskyPasses(m, n), m >= 4 * n ? 1 : 2);
    });
  }

  test(`orthogonalBlocks (${native}): the gates' [in, H] blocks of the same Q, as the LSTM uses them`, () => {
    const [rows, cols, blocks] = [1024, 128, 4];
    const h = rows / blocks;
    const full = orthogonal(rows, cols, rngStream(6, 'g'), 'householder');
    const exactBlocks = orthogonalBlocks(rows, cols, blocks, rngStream(6, 'g'), 'householder');
    const fastBlocks = withGemm(() => orthogonalBlocks(rows, cols, blocks, rngStream(6, 'g'), 'cholesky'));
    const tol = 16 * ulpOfMax(full);
    for (let k = 0; k < blocks; k++) {
      const want = new Float32Array(cols * h);
      for (let i = 0; i < h; i++) for (let j = 0; j < cols; j++) want[j * h + i] = full[(k * h + i) * cols + j]!;
      assert.deepEqual(exactBlocks[k], want, `householder block ${k} is the transposed row block`);
      assert.ok(maxAbsDiff(fastBlocks[k]!, want) <= tol, `GEMM block ${k}`);
    }
    // Distinct blocks, never aliasing each other.
    fastBlocks[0]![0] = 42;
    assert.notEqual(fastBlocks[1]![0], 42);
  });

  test(`a wide matrix on the GEMM path (${native}) is the transposed tall Q, as torch's`, () => {
    const exact = orthogonal(128, 512, rngStream(7, 'w'), 'householder');
    const fast = withGemm(() => orthogonal(128, 512, rngStream(7, 'w'), 'cholesky'));
    assert.ok(maxAbsDiff(fast, exact) <= 16 * ulpOfMax(exact));
  });
}

test('choleskyQrInPlace reports a Gram matrix that is not positive definite and leaves the matrix as it was', () => {
  const [m, n] = [64, 16];
  const heap = new Float32Array(choleskyQrHeapFloats(m, n, 8));
  const a = heap.subarray(0, m * n);
  rngStream(1, 'z').fillNormal(a);
  for (let i = 0; i < m; i++) a[i * n + 5] = 0; // column 5 of A is zero: G[5][5] = 0
  const before = Float32Array.from(a);
  assert.equal(choleskyQrInPlace(heap, m, n, m, 1, 8), false);
  // Chunked as m chunks of one row: each chunk (n x 1) is the row itself, so the layout is A row-major.
  assert.deepEqual(heap.subarray(0, m * n), before);
});

test('Rng.fillNormal draws exactly the numbers normal() draws, spare included', () => {
  for (const [pre, len] of [
    [0, 10],
    [1, 10],
    [0, 7],
    [1, 8],
    [3, 0],
  ] as const) {
    const a = seedRandom(9);
    const b = seedRandom(9);
    for (let i = 0; i < pre; i++) assert.equal(a.normal(), b.normal());
    const bulk = new Float64Array(len);
    a.fillNormal(bulk);
    const one = Float64Array.from({ length: len }, () => b.normal());
    assert.deepEqual(bulk, one, `after ${pre} single draws, ${len} in bulk`);
    assert.equal(a.normal(), b.normal(), 'the stream left behind is the same');
    assert.equal(a.next(), b.next());
  }
  // A float32 target gets the same numbers, rounded.
  const f = new Float32Array(5);
  seedRandom(3).fillNormal(f);
  const r = seedRandom(3);
  assert.deepEqual(
    f,
    Float32Array.from({ length: 5 }, () => r.normal()),
  );
});

test('householderQ itself: columns signed so that diag(R) > 0 (torch), QR reproduces A', () => {
  const [m, n] = [40, 12];
  const a = new Float64Array(m * n);
  rngStream(4, 'h').fillNormal(a);
  const q = householderQ(a, m, n);
  // R = QᵀA must be upper triangular with a positive diagonal.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += q[k * n + i]! * a[k * n + j]!;
      if (i > j) assert.ok(Math.abs(s) < 1e-10, `R[${i}][${j}] = ${s}`);
      if (i === j) assert.ok(s > 0, `R[${i}][${i}] = ${s}`);
    }
  }
});
