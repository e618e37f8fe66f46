// Seeded random streams for initialisation, shuffling and the KL targets.
// Each use gets its own stream named by a tag (e.g. "init:encoder.conv0"), so
// adding a part or an extra draw in one place never shifts another; and all
// numbers come from JS, so they depend on the seed alone, not on the backend.
import { seedRandom } from '../engine/index.js';

/** A random stream: uniforms in [0, 1) and standard normals. */
export interface Rng {
  uniform(): number;
  normal(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/** 32-bit hash of a tag and seed (FNV-1a, then murmur3's fmix32 to decorrelate nearby tags). */
export function hashSeed(seed: number, tag: string): number {
  const text = `${seed}:${tag}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An independent stream per (seed, tag): the engine's generator, seeded by the hash of both. */
export function rngStream(seed: number, tag: string): Rng {
  const r = seedRandom(hashSeed(seed, tag));
  return { uniform: r.next, normal: r.normal, int: r.int };
}

/** A Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export function normals(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}
