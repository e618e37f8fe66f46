// Seeded random streams for initialisation, shuffling and the KL targets.
// Each use gets its own stream named by a tag (e.g. "init:encoder.conv0"), so
// adding a part or an extra draw in one place never shifts another; and all
// numbers come from JS, so they depend on the seed alone, not on the backend.

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

/**
 * sfc32 (Chris Doty-Humphrey's small fast chaotic generator): 128-bit state,
 * passes PractRand far beyond the ~10^8 draws a full-size LSTM init takes.
 */
export function rngStream(seed: number, tag: string): Rng {
  let a = hashSeed(seed, tag);
  let b = hashSeed(seed ^ 0x9e3779b9, tag);
  let c = hashSeed(seed, `${tag}#c`);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // warm-up: the first outputs of sfc32 are poorly mixed
  let spare: number | null = null;
  return {
    uniform: next,
    normal() {
      // Box-Muller, both values used.
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u = 1 - next(); // (0, 1]: log(0) never happens
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(n: number) {
      return Math.floor(next() * n);
    },
  };
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
