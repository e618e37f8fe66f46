// A small seeded PRNG for data selection. Our own, so that a data set's
// subsample and contamination depend on nothing but the seed: not on the
// backend, not on Math.random, not on another folder's generator.
import { seedFromText } from '../seed.js';

/** mulberry32: 32-bit state, period 2^32, good enough for sampling indices. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed from a purpose tag and numbers, so that independent uses of one
 * trial seed (train subsample, contamination, test subsample) get independent
 * streams, and a change to one never shifts another.
 */
export function deriveSeed(tag: string, ...nums: number[]): number {
  return seedFromText(`${tag}:${nums.join(',')}`);
}

/** An integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/**
 * k distinct items of `pool` (partial Fisher-Yates on a copy), in the order drawn.
 * k >= pool.length returns a shuffled copy of the whole pool.
 */
export function sampleWithoutReplacement(pool: ArrayLike<number>, k: number, rand: () => number): number[] {
  const a = Array.from(pool);
  const m = Math.min(k, a.length);
  for (let i = 0; i < m; i++) {
    const j = i + randInt(rand, a.length - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, m);
}

/** Shuffle in place (Fisher-Yates). */
export function shuffleInPlace<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randInt(rand, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
