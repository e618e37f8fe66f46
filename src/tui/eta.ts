// The header's ETA. A sweep's trials are not alike: the first trial of each
// share key (model, class, seed, contamination ...) pretrains the autoencoder,
// the others load it from the cache, often in a fraction of the time. The mean
// of the trials finished so far is dominated by the first, pretraining ones
// (at 2 of 18 done it promised 33 min; the rest took 8), so the estimate
// prices each remaining trial by what it still has to do. Pure: the inputs are
// plain numbers, the clock is the caller's.
import type { GridPoint, TrialParams } from '../grid/expand.js';
import { pretrainShareKey } from '../grid/expand.js';
import type { FrozenTrial } from '../storage/storage.js';
import { pretrainTimingOf } from '../trial/attrs.js';
import { TrialState } from '../trial/state.js';

/** What one remaining trial is expected to take, by what it must do. */
export interface TrialCosts {
  /** A trial that pretrains its autoencoder (no cache, or the first of its key). */
  readonly full: number;
  /** A trial whose pretraining is in the cache already. */
  readonly cached: number;
}

/** The timing a finished trial recorded (duration_s, and the worker's pretrain_seconds and pretrain_cache). */
export interface FinishedCost {
  readonly seconds: number;
  /** Seconds spent pretraining or loading the pretraining; null when not recorded. */
  readonly pretrainSeconds: number | null;
  /** The pretraining came from the cache. */
  readonly cacheHit: boolean;
}

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * Costs learnt from the finished trials. Where every trial recorded its
 * pretraining time, the rest of a trial (data, center, joint training) is
 * learnt from all of them and the pretraining from those that did it, so one
 * pretrained trial already prices the cached ones. Otherwise the two kinds
 * are averaged apart. Null before any trial finished.
 */
export function trialCosts(finished: readonly FinishedCost[]): TrialCosts | null {
  if (finished.length === 0) return null;
  const hits = finished.filter((f) => f.cacheHit);
  const builds = finished.filter((f) => !f.cacheHit);
  if (finished.every((f) => f.pretrainSeconds !== null)) {
    const rest = mean(finished.map((f) => Math.max(0, f.seconds - f.pretrainSeconds!)))!;
    const load = mean(hits.map((f) => f.pretrainSeconds!)) ?? 0;
    const build = mean(builds.map((f) => f.pretrainSeconds!)) ?? load;
    return { full: rest + build, cached: rest + load };
  }
  const full = mean(builds.map((f) => f.seconds));
  const cached = mean(hits.map((f) => f.seconds));
  return { full: full ?? cached!, cached: cached ?? full! };
}

/** A finished trial's timing as its attributes recorded it; null without a duration (or PRUNED). */
export function finishedCostOf(t: FrozenTrial, seconds: number | null): FinishedCost | null {
  if (seconds === null || t.state === TrialState.PRUNED) return null;
  const p = pretrainTimingOf(t.userAttrs);
  return { seconds, pretrainSeconds: p.seconds, cacheHit: p.cacheHit };
}

/**
 * How many pretrainings the unfinished points still need: the distinct share
 * keys among points without a COMPLETE trial, less the keys some COMPLETE
 * trial built or loaded (they are in the cache) and those a running trial is
 * building now. Null when pretraining is not shared (every trial pretrains).
 */
export function unbuiltPretrainings(
  points: readonly GridPoint[],
  finished: readonly FrozenTrial[],
  running: readonly TrialParams[],
  shared: boolean,
): number | null {
  if (!shared) return null;
  const done = new Set<string>();
  const built = new Set<string>();
  for (const t of finished) {
    if (t.state !== TrialState.COMPLETE) continue;
    if (t.gridPoint) done.add(t.gridPoint);
    built.add(pretrainShareKey(t.params));
  }
  for (const p of running) built.add(pretrainShareKey(p));
  const need = new Set<string>();
  for (const p of points) {
    if (done.has(p.id)) continue;
    const k = pretrainShareKey(p.params);
    if (!built.has(k)) need.add(k);
  }
  return need.size;
}

export type Eta =
  | { readonly kind: 'first' }
  | { readonly kind: 'done' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'eta'; readonly seconds: number };

export interface EtaInput {
  readonly costs: TrialCosts | null;
  readonly waiting: number;
  /** Each running trial: seconds run so far, and whether it pretrains (null: not known yet). */
  readonly running: readonly { readonly elapsed: number; readonly pretrains: boolean | null }[];
  /** Pretrainings the waiting trials still need (unbuiltPretrainings); null: every waiting trial pretrains. */
  readonly unbuilt: number | null;
  /** Trials that run at once. */
  readonly workers: number;
}

/**
 * Time until the queue is empty: each running trial needs what is left of its
 * expected cost (never below zero), each waiting one its whole cost (a full
 * one for each pretraining still to build, a cached one for the rest), and the
 * workers share the total. Until one trial finished there is no evidence, so
 * it says so instead of guessing ("after first trial").
 */
export function estimateEta(i: EtaInput): Eta {
  if (i.waiting === 0 && i.running.length === 0) return { kind: 'done' };
  if (i.costs === null) return { kind: 'first' };
  // Work waits but nothing runs (stopped sweep, or between claims).
  if (i.running.length === 0) return { kind: 'idle' };
  const { full, cached } = i.costs;
  const workers = Math.max(1, i.workers);
  const fullWaiting = i.unbuilt === null ? i.waiting : Math.min(i.waiting, i.unbuilt);
  // A running trial not yet past its start pretrains when nothing is shared; when shared, its key was counted as being built.
  const remainders = i.running.map((r) =>
    Math.max(0, ((r.pretrains ?? i.unbuilt === null) ? full : cached) - r.elapsed),
  );
  const left = remainders.reduce((s, x) => s + x, 0) + fullWaiting * full + (i.waiting - fullWaiting) * cached;
  // The running trials cannot finish faster than the longest remainder among them.
  return { kind: 'eta', seconds: Math.max(left / workers, ...remainders) };
}
