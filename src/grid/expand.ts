// Grid expansion: a pure function from a study's axes to its grid points.
// A point's identity is a hash of its canonical params, so it does not depend
// on the order of keys or values in the file, and adding a value to an axis
// adds points without renaming the existing ones.
import { createHash } from 'node:crypto';
import type { Grid, ModelName } from '../study/schema.js';
import { modelTraits } from '../study/models.js';
import { canonicalJson } from '../json.js';

/** One parameter value as stored (Optuna's categorical choices are strings, numbers or booleans). */
export type ParamValue = string | number;

/**
 * The params of one grid point. Only the axes that apply to the point are
 * present: `nu` only for soft boundaries, `boundary` only for models with SVDD,
 * `lambdaKl` only for models with KL, `lambdaRec` only for models with a decoder.
 */
export interface TrialParams {
  readonly model: ModelName;
  readonly normalClass: number;
  readonly seed: number;
  readonly contamination: number;
  readonly boundary?: 'hard' | 'soft';
  readonly lambdaKl?: number;
  readonly lambdaRec?: number;
  readonly nu?: number;
  readonly 'lstm.mode'?: 'cell' | 'sequence';
  readonly 'kl.form'?: 'authors' | 'gaussian';
  readonly minmax: 'train' | 'none';
}

export interface GridPoint {
  /** Stable identity: the same params give the same id. */
  readonly id: string;
  readonly params: TrialParams;
}

export function gridPointId(params: TrialParams): string {
  return createHash('sha256').update(canonicalJson(params)).digest('hex').slice(0, 16);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * Expands the grid. Points are ordered so that those sharing a pretrained
 * autoencoder (same class, seed, contamination, model and pretraining-relevant
 * options) stand next to each other: the first one builds the cache entry,
 * the others reuse it.
 */
export function expandGrid(grid: Grid): GridPoint[] {
  return [...gridPoints(grid)];
}

/**
 * The grid's points one at a time, in expandGrid's order. Each axis is
 * deduplicated first, so every combination is a distinct point (countGridPoints
 * relies on it); the id set only guards that promise.
 */
export function* gridPoints(grid: Grid): Generator<GridPoint> {
  const seen = new Set<string>();
  for (const normalClass of unique(grid.normalClass)) {
    for (const seed of unique(grid.seed)) {
      for (const contamination of unique(grid.contamination)) {
        for (const minmax of unique(grid.minmax)) {
          for (const model of unique(grid.model)) {
            const traits = modelTraits(model);
            for (const lstmMode of traits.lstm ? unique(grid['lstm.mode']) : [undefined]) {
              for (const boundary of traits.svdd ? unique(grid.boundary) : [undefined]) {
                for (const klForm of traits.kl ? unique(grid['kl.form']) : [undefined]) {
                  for (const lambdaKl of traits.kl ? unique(grid.lambdaKl) : [undefined]) {
                    for (const lambdaRec of traits.decoder && traits.svdd ? unique(grid.lambdaRec) : [undefined]) {
                      for (const nu of boundary === 'soft' ? unique(grid.nu) : [undefined]) {
                        const params: TrialParams = stripUndefined({
                          model,
                          normalClass,
                          seed,
                          contamination,
                          minmax,
                          boundary,
                          'lstm.mode': lstmMode,
                          'kl.form': klForm,
                          lambdaKl,
                          lambdaRec,
                          nu,
                        });
                        const id = gridPointId(params);
                        if (seen.has(id)) continue;
                        seen.add(id);
                        yield { id, params };
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The number of points expandGrid would give, without making them: a sum over
 * models of the product of the axes that apply to each (the same rules as the
 * loops of gridPoints). Memory and time depend on the axes' lengths only, so a
 * grid of 10^9 points is counted as fast as one of 10.
 */
export function countGridPoints(grid: Grid): number {
  const n = (values: readonly unknown[]) => new Set(values).size;
  const shared = n(grid.normalClass) * n(grid.seed) * n(grid.contamination) * n(grid.minmax);
  let total = 0;
  for (const model of unique(grid.model)) {
    const t = modelTraits(model);
    const boundaries = unique(grid.boundary);
    const perBoundary = t.svdd ? boundaries.reduce((s, b) => s + (b === 'soft' ? n(grid.nu) : 1), 0) : 1;
    total +=
      shared *
      (t.lstm ? n(grid['lstm.mode']) : 1) *
      perBoundary *
      (t.kl ? n(grid['kl.form']) * n(grid.lambdaKl) : 1) *
      (t.decoder && t.svdd ? n(grid.lambdaRec) : 1);
  }
  return total;
}

/**
 * Points made between two yields of expandGridAsync: a few milliseconds of
 * work on a quiet machine, but 5000 took up to ~1 s a turn on two cores under
 * load 15 (bench/grid-size.ts), and a yield costs microseconds.
 */
const EXPAND_CHUNK = 1000;

/**
 * expandGrid that gives the event loop a turn every few thousand points, so a
 * signal or a screen update is handled while a large grid expands (hashing a
 * point costs microseconds: 10^6 points are seconds of work). Stops with the
 * signal's reason when it aborts.
 */
export async function expandGridAsync(grid: Grid, signal?: AbortSignal): Promise<GridPoint[]> {
  const out: GridPoint[] = [];
  for (const p of gridPoints(grid)) {
    out.push(p);
    if (out.length % EXPAND_CHUNK === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    }
  }
  return out;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The search space as Optuna's GridSampler stores it (study system attribute
 * `search_space`): each axis with its values in file order.
 */
export function searchSpace(grid: Grid): Record<string, ParamValue[]> {
  const out: Record<string, ParamValue[]> = {};
  for (const [k, v] of Object.entries(grid)) out[k] = unique(v as ParamValue[]);
  return out;
}

/**
 * Points with the same key can share one autoencoder pretraining: it does not
 * depend on the boundary, lambdaKl, lambdaRec or nu. (Coarser keys would make
 * trials wait for nothing, finer ones would pretrain twice; the model name is
 * kept whole so that no two architectures ever share.)
 */
export function pretrainShareKey(p: TrialParams): string {
  return [p.model, p.normalClass, p.seed, p.contamination, p.minmax, p['lstm.mode'] ?? ''].join('|');
}

/**
 * Round-robin over share keys: the first trials of a sweep are of different
 * keys, so that each worker builds a different pretraining and no two build
 * the same one; the rest then find theirs in the cache. `keyOf` is the
 * pretraining key where the caller knows it (`sweep start`: trialPretrainKey).
 */
export function interleaveByShareKey(
  points: readonly GridPoint[],
  keyOf: (p: GridPoint) => string = (p) => pretrainShareKey(p.params),
): GridPoint[] {
  const groups = new Map<string, GridPoint[]>();
  for (const p of points) {
    const k = keyOf(p);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const lists = [...groups.values()];
  const out: GridPoint[] = [];
  for (let i = 0; out.length < points.length; i++) for (const g of lists) if (i < g.length) out.push(g[i]!);
  return out;
}
