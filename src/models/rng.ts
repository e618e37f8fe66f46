// Seeded random streams for initialisation, shuffling and the KL targets.
// Each use gets its own stream named by a tag (e.g. "init:encoder.conv0"), so
// adding a part or an extra draw in one place never shifts another; and all
// numbers come from JS, so they depend on the seed alone, not on the backend.
import { seedRandom, type Rng } from '../engine/index.js';
import { seedFromText } from '../seed.js';

/** A random stream: the engine's generator (uniforms, normals, integers). */
export type { Rng };

/** 32-bit hash of a tag and seed (src/seed.ts). */
export function hashSeed(seed: number, tag: string): number {
  return seedFromText(`${seed}:${tag}`);
}

/** An independent stream per (seed, tag): the engine's generator, seeded by the hash of both. */
export function rngStream(seed: number, tag: string): Rng {
  return seedRandom(hashSeed(seed, tag));
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
  rng.fillNormal(out);
  return out;
}
