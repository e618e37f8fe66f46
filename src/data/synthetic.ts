// A synthetic data set that needs no file: 32x32 grey images of ten simple
// shapes, each drawn with seeded jitter in position, size, brightness and
// pixel noise. For tests, and for trying the tool before downloading data.
// Each class has a distinct structure (filled/outlined, stripe orientation,
// corners vs curves), so a small autoencoder separates them in a few epochs.
import { DATASETS } from '../study/datasets.js';
import { mulberry32 } from './random.js';
import type { ImageSet, RawDataset } from './types.js';

// Class names and image side: the data-set table (src/study/datasets.ts).
export const SYNTHETIC_CLASSES = DATASETS.synthetic.classes;

export const SYNTHETIC_SIZE = DATASETS.synthetic.side;

export interface SyntheticOptions {
  readonly trainPerClass?: number;
  readonly testPerClass?: number;
  /** The data set is a pure function of this (default 0). */
  readonly seed?: number;
}

/** Intensity in [0, 1] of class `c`'s shape at pixel (x, y), for a drawn parameter set. */
function shape(
  c: number,
  x: number,
  y: number,
  cx: number,
  cy: number,
  r: number,
  phase: number,
  period: number,
): number {
  const dx = x - cx;
  const dy = y - cy;
  const d = Math.sqrt(dx * dx + dy * dy);
  switch (c) {
    case 0: // filled disk
      return d <= r ? 1 : 0;
    case 1: // square outline, 3 px wide
      return Math.max(Math.abs(dx), Math.abs(dy)) <= r && Math.max(Math.abs(dx), Math.abs(dy)) > r - 3 ? 1 : 0;
    case 2: // horizontal stripes
      return Math.floor((y + phase) / period) % 2 === 0 ? 1 : 0;
    case 3: // vertical stripes
      return Math.floor((x + phase) / period) % 2 === 0 ? 1 : 0;
    case 4: // plus sign
      return (Math.abs(dx) <= 1.5 && Math.abs(dy) <= r) || (Math.abs(dy) <= 1.5 && Math.abs(dx) <= r) ? 1 : 0;
    case 5: // diagonal stripes
      return Math.floor((x + y + phase) / period) % 2 === 0 ? 1 : 0;
    case 6: // ring
      return d <= r && d > r - 3 ? 1 : 0;
    case 7: // filled triangle, apex up
      return dy >= -r && dy <= r && Math.abs(dx) <= (dy + r) / 2 ? 1 : 0;
    case 8: // checkerboard
      return (Math.floor((x + phase) / period) + Math.floor((y + phase) / period)) % 2 === 0 ? 1 : 0;
    default: // two dots
      return Math.hypot(dx - r * 0.6, dy) <= r * 0.35 || Math.hypot(dx + r * 0.6, dy) <= r * 0.35 ? 1 : 0;
  }
}

function makeSet(n: number, rand: () => number): ImageSet {
  const S = SYNTHETIC_SIZE;
  const images = new Uint8Array(n * S * S);
  const labels = new Uint8Array(n);
  // Interleave classes (0,1,..,9,0,1,..) so any prefix has every class.
  for (let j = 0; j < n; j++) {
    const c = j % SYNTHETIC_CLASSES.length;
    labels[j] = c;
    const cx = 16 + (rand() - 0.5) * 6;
    const cy = 16 + (rand() - 0.5) * 6;
    const r = 7 + rand() * 4;
    const phase = rand() * 8;
    const period = 3 + Math.floor(rand() * 3);
    const fg = 160 + rand() * 90;
    const bg = 10 + rand() * 40;
    const base = j * S * S;
    for (let p = 0; p < S * S; p += 2) {
      // Box-Muller gives two independent normals per draw: one per pixel of a pair.
      const u = 1 - rand();
      const t = 2 * Math.PI * rand();
      const m = Math.sqrt(-2 * Math.log(u)) * 12;
      for (let q = 0; q < 2; q++) {
        const x = (p + q) % S;
        const y = ((p + q) / S) | 0;
        const v =
          bg + (fg - bg) * shape(c, x + 0.5, y + 0.5, cx, cy, r, phase, period) + m * (q ? Math.sin(t) : Math.cos(t));
        images[base + p + q] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { images, labels, n, height: S, width: S, channels: 1 };
}

/** The synthetic data set (default 200 train / 100 test images per class). Deterministic. */
export function makeSynthetic(opts: SyntheticOptions = {}): RawDataset {
  const trainPer = opts.trainPerClass ?? 200;
  const testPer = opts.testPerClass ?? 100;
  const seed = opts.seed ?? 0;
  const nc = SYNTHETIC_CLASSES.length;
  // Separate streams: changing the test size never changes the training images.
  const train = makeSet(trainPer * nc, mulberry32(seed * 2 + 1));
  const test = makeSet(testPer * nc, mulberry32(seed * 2 + 2));
  return {
    name: 'synthetic',
    classNames: SYNTHETIC_CLASSES,
    train,
    test,
    source: `synthetic(seed=${seed}, ${trainPer}/${testPer} per class)`,
  };
}
