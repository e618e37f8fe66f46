// Mini-batches cut from the trial's Float32Array images. Copying on the JS side
// keeps the whole set off the device and works the same on every backend.
import * as tf from '@tensorflow/tfjs-core';

export class Images {
  private readonly pixels: number;

  constructor(
    readonly x: Float32Array,
    readonly n: number,
    readonly shape: readonly [number, number, number],
    /** Called for every batch cut: every pass over the data goes through here, so the worker proves it is alive. */
    private readonly onBatch?: () => void,
  ) {
    this.pixels = shape[0] * shape[1] * shape[2];
    if (x.length !== n * this.pixels) {
      throw new Error(`image data holds ${x.length} values, expected ${n} x ${shape.join('x')} = ${n * this.pixels}`);
    }
  }

  /** The images at `order[start .. end)` as [B, H, W, C]. */
  batch(order: ArrayLike<number>, start: number, end: number): tf.Tensor4D {
    this.onBatch?.();
    const b = end - start;
    const out = new Float32Array(b * this.pixels);
    for (let i = 0; i < b; i++) {
      const src = order[start + i] * this.pixels;
      out.set(this.x.subarray(src, src + this.pixels), i * this.pixels);
    }
    return tf.tensor4d(out, [b, ...this.shape]);
  }

  /** [start, end) pairs of consecutive batches (the last may be smaller, as torch's drop_last=False). */
  ranges(batchSize: number): [number, number][] {
    const r: [number, number][] = [];
    for (let s = 0; s < this.n; s += batchSize) r.push([s, Math.min(s + batchSize, this.n)]);
    return r;
  }
}

export function identityOrder(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
