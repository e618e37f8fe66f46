// Test-set scoring (eval mode, fixed order, batched) and the AUROC of every
// score the model has. Fixed order matters in the LSTM's sequence mode, where
// a sample's score depends on the samples before it in its batch.
import * as tf from '@tensorflow/tfjs-core';
import { auroc } from '../metrics/index.js';
import { EVAL, reconstructionError, squaredDistance, type Model } from '../models/index.js';
import type { Score } from '../study/schema.js';
import { identityOrder, type Images } from './batches.js';

export interface RawScores {
  /**
   * The latent-space score: ||z - c||^2 - R^2 for the recipe's SVDD models (R
   * = 0 for the hard boundary); a baseline's latent score (Gaussian AD's
   * Mahalanobis distance, LSA's NLL of z) otherwise.
   */
  readonly svdd?: Float64Array;
  /** Summed squared reconstruction error per sample. */
  readonly rec?: Float64Array;
}

export function scoreImages(
  model: Model,
  images: Images,
  batchSize: number,
  center: tf.Tensor1D | null,
  radius: number,
): RawScores {
  const wantSvdd = model.traits.svdd && center !== null;
  const wantRec = model.traits.decoder;
  const svdd = wantSvdd ? new Float64Array(images.n) : undefined;
  const rec = wantRec ? new Float64Array(images.n) : undefined;
  const order = identityOrder(images.n);
  const r2 = radius * radius;
  for (const [start, end] of images.ranges(batchSize)) {
    const { d, e } = tf.tidy(() => {
      const x = images.batch(order, start, end);
      const z = model.embed(x, EVAL);
      const out: { d?: tf.Tensor1D; e?: tf.Tensor1D } = {};
      if (wantSvdd) out.d = squaredDistance(z, center!);
      if (wantRec) out.e = reconstructionError(x, model.reconstruct(z, EVAL));
      return out;
    });
    if (d) {
      const v = d.dataSync();
      for (let i = 0; i < v.length; i++) svdd![start + i] = v[i] - r2;
      d.dispose();
    }
    if (e) {
      rec!.set(e.dataSync(), start);
      e.dispose();
    }
  }
  return { svdd, rec };
}

/** A baseline's raw scores of every image (eval mode, fixed order, batched). */
export function scoreBaseline(model: Model, images: Images, batchSize: number): RawScores {
  const objective = model.baseline;
  if (!objective) throw new Error(`${model.name} is not a baseline`);
  const out: { svdd?: Float64Array; rec?: Float64Array } = {};
  const order = identityOrder(images.n);
  for (const [start, end] of images.ranges(batchSize)) {
    const s = tf.tidy(() => {
      const r = objective.score(images.batch(order, start, end));
      return { latent: r.latent, rec: r.rec };
    });
    for (const [key, t] of [
      ['svdd', s.latent],
      ['rec', s.rec],
    ] as const) {
      if (!t) continue;
      (out[key] ??= new Float64Array(images.n)).set(t.dataSync(), start);
      t.dispose();
    }
  }
  return out;
}

/** Min-max scaling to [0, 1]; a constant score maps to 0. */
export function minMaxScale(v: ArrayLike<number>): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  const span = hi - lo;
  return Float64Array.from(v, (x) => (span > 0 ? (x - lo) / span : 0));
}

/** The scores a model has, 'svdd+rec' being each min-max scaled over the set, then summed. */
export function combineScores(raw: RawScores, scores: readonly Score[]): Partial<Record<Score, Float64Array>> {
  const out: Partial<Record<Score, Float64Array>> = {};
  for (const s of scores) {
    if (s === 'svdd' && raw.svdd) out.svdd = raw.svdd;
    else if (s === 'rec' && raw.rec) out.rec = raw.rec;
    else if (s === 'svdd+rec' && raw.svdd && raw.rec) {
      const a = minMaxScale(raw.svdd);
      const b = minMaxScale(raw.rec);
      out['svdd+rec'] = a.map((v, i) => v + b[i]);
    }
  }
  return out;
}

export function aurocs(
  scores: Partial<Record<Score, Float64Array>>,
  labels: Uint8Array,
): Partial<Record<Score, number>> {
  const out: Partial<Record<Score, number>> = {};
  for (const [k, v] of Object.entries(scores) as [Score, Float64Array][]) out[k] = auroc(v, labels);
  return out;
}
