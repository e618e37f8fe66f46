// The one seed hash: a 32-bit seed from a text naming a use of a seed, so
// that independent uses (a data subsample, one layer's initialisation) get
// independent streams and adding one never shifts another. A leaf module
// shared by data/ (deriveSeed) and models/ (hashSeed), which each keep their
// own text format: changing it would change every drawn number.

/** FNV-1a over the text, then murmur3's fmix32: FNV alone leaves nearby tags correlated. */
export function seedFromText(text: string): number {
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
