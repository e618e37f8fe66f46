// Fuzzing the native addon's argument checks (fast-check, fixed seed): gemm
// and conv called with random arguments, some of them bad (negative, too
// large, fractions, NaN, Infinity, not numbers), on a real ArrayBuffer. Every
// call must either throw, where a JS model of the rules says it is invalid, or
// compute what a JS reference computes; and every float it was not meant to
// write keeps its bits (the whole heap serves as guard bytes around the
// regions).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadNativeBlas, type NativeBlas } from '../../src/engine/native/blas.js';

let blas: NativeBlas;

before(() => {
  const got = loadNativeBlas();
  assert.ok(got.blas, got.why);
  blas = got.blas;
});

const SEED = 20261201;
const MAX_SAFE = 2 ** 53;
const MAX_DIM = 2 ** 31 - 1;

/** Values no argument may take, or that some may not (0 and -0 are fine for offsets). */
const bad = fc.constantFrom<unknown>(
  -1,
  -7,
  0,
  -0,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  MAX_SAFE + 2,
  1e300,
  '3',
  undefined,
  null,
  3n,
  {},
);

/** Replaces up to two arguments with bad values in about half of the cases. */
const corruptions = (count: number) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as [number, unknown][]) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.integer({ min: 0, max: count - 1 }), bad), { minLength: 1, maxLength: 2 }),
    },
  );

function corrupt(args: number[], with_: [number, unknown][]): unknown[] {
  const out: unknown[] = [...args];
  for (const [i, v] of with_) out[i] = v;
  return out;
}

/** The addon's rule for one argument: a number, a finite integer, in [lo, hi]. */
const okInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Float indices of `count` matrices of rows x cols, ld apart, stride apart, from off. */
function indices(off: number, count: number, stride: number, rows: number, ld: number, cols: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < count; b++)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.push(off + b * stride + i * ld + j);
  return out;
}

/** The last float of such a region + 1, exactly (BigInt: no overflow in the model either). */
const end = (off: number, count: number, stride: number, rows: number, ld: number, cols: number) =>
  BigInt(off) + BigInt(count - 1) * BigInt(stride) + BigInt(rows - 1) * BigInt(ld) + BigInt(cols);

/**
 * Calls `f` on a heap of random floats and checks the outcome: a throw where
 * `expected` is null (and no float changed), else the floats `expected` gives
 * (index -> value, within a float32 tolerance) and no other float changed.
 */
function check(
  heapFloats: number,
  rngSeed: number,
  f: (heap: ArrayBuffer) => void,
  expected: (heap: Float32Array) => Map<number, number> | null | 'aliased',
): void {
  const heap = new Float32Array(heapFloats);
  let s = rngSeed >>> 0;
  for (let i = 0; i < heap.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    heap[i] = s / 2 ** 32 - 0.5;
  }
  const before = Float32Array.from(heap);
  const want = expected(before);
  let threw: unknown = null;
  try {
    f(heap.buffer);
  } catch (e) {
    threw = e;
  }
  const bits = new Uint32Array(heap.buffer);
  const bitsBefore = new Uint32Array(before.buffer);
  if (want === null) {
    assert.ok(threw instanceof Error, 'an invalid call throws');
    for (let i = 0; i < heap.length; i++) assert.equal(bits[i], bitsBefore[i], `a refused call changed float ${i}`);
    return;
  }
  assert.equal(threw, null, `a valid call threw: ${String(threw)}`);
  // Aliased input and output: BLAS leaves the values undefined; only the guards are checked.
  const written = want === 'aliased' ? null : want;
  for (let i = 0; i < heap.length; i++) {
    const w = written?.get(i);
    if (w === undefined) {
      if (want !== 'aliased') assert.equal(bits[i], bitsBefore[i], `float ${i} outside the output changed`);
      continue;
    }
    assert.ok(Math.abs(heap[i]! - w) <= 1e-4 * (1 + Math.abs(w)), `float ${i}: ${heap[i]} vs reference ${w}`);
  }
}

describe('native addon under random arguments', () => {
  it('gemm: throws exactly where the rules say, else matches the reference, and writes nothing outside C', () => {
    // Zones: A [0, 400), B [400, 800), a gap, C [1100, 1500): offsets inside
    // them, sometimes running past the heap's end.
    const H = 1500;
    const dim = fc.integer({ min: 1, max: 8 });
    const spec = fc.record({
      ta: fc.integer({ min: 0, max: 1 }),
      tb: fc.integer({ min: 0, max: 1 }),
      m: dim,
      n: dim,
      k: dim,
      // lda = the row width + this (-1: too small)
      lda: fc.integer({ min: -1, max: 3 }),
      ldb: fc.integer({ min: -1, max: 3 }),
      ldc: fc.integer({ min: -1, max: 3 }),
      aOff: fc.integer({ min: 0, max: 300 }),
      bOff: fc.integer({ min: 400, max: 700 }),
      cOff: fc.integer({ min: 1100, max: 1500 }),
      acc: fc.integer({ min: 0, max: 1 }),
      batch: fc.integer({ min: 1, max: 3 }),
      sA: fc.integer({ min: 0, max: 90 }),
      sB: fc.integer({ min: 0, max: 90 }),
      sC: fc.integer({ min: 0, max: 90 }),
      bad: corruptions(16),
      seed: fc.integer(),
    });
    let valid = 0;
    fc.assert(
      fc.property(spec, (p) => {
        const aw = p.ta ? p.m : p.k;
        const bw = p.tb ? p.k : p.n;
        const args = corrupt(
          [
            p.ta,
            p.tb,
            p.m,
            p.n,
            p.k,
            p.aOff,
            aw + p.lda,
            p.bOff,
            bw + p.ldb,
            p.cOff,
            p.n + p.ldc,
            p.acc,
            p.batch,
            p.sA,
            p.sB,
            p.sC,
          ],
          p.bad,
        );
        check(
          H,
          p.seed,
          (heap) => (blas.gemm as unknown as (h: ArrayBuffer, ...a: unknown[]) => void)(heap, ...args),
          (h) => {
            const ranges: [number, number][] = [
              [0, 1],
              [0, 1],
              [1, MAX_DIM],
              [1, MAX_DIM],
              [1, MAX_DIM],
              [0, MAX_SAFE],
              [1, MAX_DIM],
              [0, MAX_SAFE],
              [1, MAX_DIM],
              [0, MAX_SAFE],
              [1, MAX_DIM],
              [0, 1],
              [1, MAX_SAFE],
              [0, MAX_SAFE],
              [0, MAX_SAFE],
              [0, MAX_SAFE],
            ];
            if (!args.every((v, i) => okInt(v, ...ranges[i]!))) return null;
            const [ta, tb, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, acc, batch, sA, sB, sC] = args as number[] as [
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
            ];
            const [ar, ac] = ta ? [k, m] : [m, k];
            const [br, bc] = tb ? [n, k] : [k, n];
            if (lda < ac || ldb < bc || ldc < n) return null;
            if (
              end(aOff, batch, sA, ar, lda, ac) > H ||
              end(bOff, batch, sB, br, ldb, bc) > H ||
              end(cOff, batch, sC, m, ldc, n) > H
            )
              return null;
            valid++;
            const out = new Set(indices(cOff, batch, sC, m, ldc, n));
            const reads = [...indices(aOff, batch, sA, ar, lda, ac), ...indices(bOff, batch, sB, br, ldb, bc)];
            if (reads.some((i) => out.has(i))) return 'aliased';
            // Batch after batch, as the addon runs them (C batches may overlap).
            const c = Float32Array.from(h);
            for (let b = 0; b < batch; b++) {
              for (let i = 0; i < m; i++)
                for (let j = 0; j < n; j++) {
                  let sum = 0;
                  for (let q = 0; q < k; q++) {
                    const av = h[aOff + b * sA + (ta ? q * lda + i : i * lda + q)]!;
                    const bv = h[bOff + b * sB + (tb ? j * ldb + q : q * ldb + j)]!;
                    sum += av * bv;
                  }
                  const at = cOff + b * sC + i * ldc + j;
                  c[at] = sum + (acc ? c[at]! : 0);
                }
            }
            return new Map([...out].map((i) => [i, c[i]!]));
          },
        );
      }),
      { seed: SEED, numRuns: 1500 },
    );
    assert.ok(valid > 250, `enough valid calls to compare (${valid})`);
  });

  it('conv (all three modes): throws exactly where the rules say, else matches the reference, and writes nothing outside the output', () => {
    // Zones: in [0, 500), other [500, 1000), a gap, out [1300, 1800).
    const H = 1800;
    const small = (max: number) => fc.integer({ min: 1, max });
    const spec = fc.record({
      mode: fc.integer({ min: 0, max: 2 }),
      inOff: fc.integer({ min: 0, max: 150 }),
      otherOff: fc.integer({ min: 500, max: 650 }),
      outOff: fc.integer({ min: 1300, max: 1800 }),
      n: small(3),
      h: small(6),
      w: small(6),
      ci: small(3),
      oh: small(6),
      ow: small(6),
      co: small(3),
      kh: small(3),
      kw: small(3),
      sh: small(3),
      sw: small(3),
      dh: small(3),
      dw: small(3),
      pt: fc.integer({ min: 0, max: 3 }),
      pl: fc.integer({ min: 0, max: 3 }),
      bad: corruptions(19),
      seed: fc.integer(),
    });
    let valid = 0;
    fc.assert(
      fc.property(spec, (p) => {
        const args = corrupt(
          [
            p.mode,
            p.inOff,
            p.otherOff,
            p.outOff,
            p.n,
            p.h,
            p.w,
            p.ci,
            p.oh,
            p.ow,
            p.co,
            p.kh,
            p.kw,
            p.sh,
            p.sw,
            p.dh,
            p.dw,
            p.pt,
            p.pl,
          ],
          p.bad,
        );
        check(
          H,
          p.seed,
          (heap) => (blas.conv as unknown as (h: ArrayBuffer, ...a: unknown[]) => void)(heap, ...args),
          (h) => {
            const lo = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
            if (!args.every((v, i) => okInt(v, lo[i]!, i === 0 ? 2 : i <= 3 ? MAX_SAFE : MAX_DIM))) return null;
            const [mode, inOff, otherOff, outOff, n, ih, iw, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, pt, pl] =
              args as number[] as [
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
                number,
              ];
            const xLen = n * ih * iw * ci;
            const yLen = n * oh * ow * co;
            const wLen = kh * kw * ci * co;
            const [inLen, otherLen, outLen] =
              mode === 0 ? [xLen, wLen, yLen] : mode === 1 ? [xLen, yLen, wLen] : [yLen, wLen, xLen];
            if (inOff + inLen > H || otherOff + otherLen > H || outOff + outLen > H) return null;
            valid++;
            const overlaps = (a: number, al: number) => a < outOff + outLen && outOff < a + al;
            if (overlaps(inOff, inLen) || overlaps(otherOff, otherLen)) return 'aliased';
            const [xOff, wOff, yOff] =
              mode === 0
                ? [inOff, otherOff, outOff]
                : mode === 1
                  ? [inOff, outOff, otherOff]
                  : [outOff, otherOff, inOff];
            const out = new Float64Array(outLen);
            // Output pixel (oy, ox) sees input (oy*sh + i*dh - pt, ox*sw + j*dw - pl) at tap (i, j).
            for (let b = 0; b < n; b++)
              for (let oy = 0; oy < oh; oy++)
                for (let ox = 0; ox < ow; ox++)
                  for (let i = 0; i < kh; i++)
                    for (let j = 0; j < kw; j++) {
                      const y = oy * sh + i * dh - pt;
                      const x = ox * sw + j * dw - pl;
                      if (y < 0 || y >= ih || x < 0 || x >= iw) continue;
                      for (let c = 0; c < ci; c++)
                        for (let o = 0; o < co; o++) {
                          const xi = ((b * ih + y) * iw + x) * ci + c;
                          const wi = ((i * kw + j) * ci + c) * co + o;
                          const yi = ((b * oh + oy) * ow + ox) * co + o;
                          if (mode === 0) out[yi] += h[xOff + xi]! * h[wOff + wi]!;
                          else if (mode === 1) out[wi] += h[xOff + xi]! * h[yOff + yi]!;
                          else out[xi] += h[yOff + yi]! * h[wOff + wi]!;
                        }
                    }
            return new Map([...out].map((v, i) => [outOff + i, v]));
          },
        );
      }),
      { seed: SEED, numRuns: 800 },
    );
    assert.ok(valid > 150, `enough valid calls to compare (${valid})`);
  });
});
