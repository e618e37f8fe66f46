// The pruning decisions, after Optuna's MedianPruner and SuccessiveHalvingPruner
// (direction: maximize, since the objective is an AUROC). Pure functions of
// plain numbers: a trial's curve and its peers' curves in, a decision out. The
// scheduler reads the curves from storage (see pruner.ts).
import type { Pruner } from '../study/schema.js';

/** Objective AUROC per joint epoch (1-based), as stored in intermediate values. */
export type Curve = ReadonlyMap<number, number>;

export interface Peer {
  /** Only COMPLETE peers count for the median pruner (as Optuna); every state counts for successive halving. */
  readonly complete: boolean;
  readonly curve: Curve;
}

export interface Decision {
  readonly prune: boolean;
  /** Why, in words: stored with a pruned trial and shown in the logs. */
  readonly reason: string;
}

const keep = (reason: string): Decision => ({ prune: false, reason });
const prune = (reason: string): Decision => ({ prune: true, reason });
const f4 = (x: number) => x.toFixed(4);

/**
 * Whether to stop a trial after it reported `epoch`. Never at the last epoch
 * (`lastEpoch`): its compute is spent, so it ends COMPLETE and competes in the
 * tables like any other finished point.
 */
export function decide(spec: Pruner, own: Curve, epoch: number, lastEpoch: number, peers: readonly Peer[]): Decision {
  if (epoch >= lastEpoch) return keep('last epoch');
  if (!own.has(epoch)) return keep(`no value at epoch ${epoch}`);
  return spec.kind === 'median' ? median(spec, own, epoch, peers) : successiveHalving(spec, own, epoch, peers);
}

/**
 * MedianPruner (Optuna's PercentilePruner at 50): the trial's best value so far
 * against the median of the COMPLETE peers' values at this epoch. Epochs are
 * 1-based where Optuna's steps start at 0, so `warmupEpochs: w` leaves epochs
 * 1..w alone as Optuna's `n_warmup_steps: w` leaves steps 0..w-1.
 */
function median(
  spec: Extract<Pruner, { kind: 'median' }>,
  own: Curve,
  epoch: number,
  peers: readonly Peer[],
): Decision {
  if (epoch <= spec.warmupEpochs) return keep(`warm-up (epoch ${epoch} <= ${spec.warmupEpochs})`);
  const done = peers.filter((p) => p.complete);
  if (done.length < spec.minPeers) return keep(`${done.length} finished peer(s), pruning starts at ${spec.minPeers}`);
  const best = nanMax([...own.values()]);
  if (Number.isNaN(best)) return prune(`no finite AUROC by epoch ${epoch}`);
  const atEpoch = done.map((p) => p.curve.get(epoch)).filter((v): v is number => v !== undefined);
  if (atEpoch.length === 0) return keep(`no finished peer has a value at epoch ${epoch}`);
  const m = nanPercentile(atEpoch, 50);
  if (Number.isNaN(m)) return keep(`peers have no finite value at epoch ${epoch}`);
  return best < m
    ? prune(
        `median: best AUROC ${f4(best)} by epoch ${epoch} < median ${f4(m)} of ${atEpoch.length} finished peer(s) at that epoch`,
      )
    : keep(`median: best ${f4(best)} >= median ${f4(m)}`);
}

/** The joint epoch of rung r. */
export function rungEpoch(spec: Extract<Pruner, { kind: 'successive-halving' }>, rung: number): number {
  return spec.minResource * spec.reductionFactor ** (spec.minEarlyStoppingRate + rung);
}

/**
 * Asynchronous successive halving (Optuna's SuccessiveHalvingPruner). A trial
 * meets rung r at the first epoch it reports at or after rungEpoch(r), and its
 * value there is its rung value (Optuna writes it as `completed_rung_r`; here
 * it is read back from the stored curve, so trials of other processes count
 * the same). It goes on when that value is in the top 1/reductionFactor of
 * the rung values of every trial of the group that reached the rung, itself
 * included; the first reductionFactor-1 trials must be the best so far.
 */
function successiveHalving(
  spec: Extract<Pruner, { kind: 'successive-halving' }>,
  own: Curve,
  epoch: number,
  peers: readonly Peer[],
): Decision {
  const value = own.get(epoch)!;
  const before = [...own.keys()].filter((e) => e < epoch);
  const previous = before.length ? Math.max(...before) : 0;
  for (let rung = 0; ; rung++) {
    const at = rungEpoch(spec, rung);
    if (at > epoch) return keep(`next rung at epoch ${at}`);
    // Rungs met at an earlier report were passed then (or the trial would have stopped).
    if (at <= previous) continue;
    if (Number.isNaN(value)) return prune(`no finite AUROC at rung ${rung} (epoch ${epoch})`);
    const competing = [...peers.map((p) => rungValue(p.curve, at)).filter((v): v is number => v !== undefined), value];
    if (competing.length <= spec.bootstrapCount) {
      return prune(
        `successive halving: rung ${rung} has ${competing.length} trial(s), bootstrapCount is ${spec.bootstrapCount}`,
      );
    }
    if (!promotable(value, competing, spec.reductionFactor)) {
      return prune(
        `successive halving: AUROC ${f4(value)} at epoch ${epoch} (rung ${rung}) is not in the top 1/${spec.reductionFactor} of ${competing.length} trial(s) of its group`,
      );
    }
  }
}

/** A curve's value at the first epoch at or after `at`; undefined when it never got there. */
function rungValue(curve: Curve, at: number): number | undefined {
  let first: number | undefined;
  for (const e of curve.keys()) if (e >= at && (first === undefined || e < first)) first = e;
  return first === undefined ? undefined : curve.get(first);
}

/** Optuna's _is_trial_promotable_to_next_rung for maximize. */
export function promotable(value: number, competing: readonly number[], reductionFactor: number): boolean {
  let idx = Math.floor(competing.length / reductionFactor) - 1;
  if (idx === -1) idx = 0;
  // NaN sorts last in numpy; a NaN peer never beats anyone.
  const sorted = [...competing].sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a - b));
  return value >= sorted[sorted.length - 1 - idx]!;
}

function nanMax(xs: readonly number[]): number {
  const f = xs.filter((x) => !Number.isNaN(x));
  return f.length ? Math.max(...f) : NaN;
}

/** numpy.nanpercentile with linear interpolation. */
export function nanPercentile(xs: readonly number[], q: number): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
