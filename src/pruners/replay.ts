// What a pruner would have saved on trials that ran to the end, without
// training again: their stored curves go through decide() in the order a
// scheduler with N workers would have met them. Training is seeded and
// deterministic per point and a trial's curve does not depend on the others,
// so a pruned trial's curve is a prefix of its unpruned one; the one thing
// the replay models is the order in which trials reach their rungs: queue
// order, one time unit per joint epoch, and a pretraining (pretrainUnits)
// before the first trial of its key, whose other trials wait for it as the
// scheduler holds them back. bench/pruning-replay.ts prints it for saved
// runs; bench/RESULTS.md checks it against five real pruned runs.
import { pretrainShareKey, type TrialParams } from '../grid/expand.js';
import type { Pruner } from '../study/schema.js';
import { decide, type Curve, type Peer } from './decide.js';
import { pruningGroupKey } from './group.js';

export interface ReplayTrial {
  /** Queue order: trials start in increasing number. */
  readonly number: number;
  readonly params: TrialParams;
  /** The whole unpruned curve: objective AUROC per joint epoch. */
  readonly curve: Curve;
}

export interface ReplayOptions {
  readonly workers: number;
  readonly lastEpoch: number;
  /** The length of a pretraining in joint-epoch units (0: none, or cached). */
  readonly pretrainUnits?: number;
  /** Which trials share a pretraining (default: the scheduler's pretrainShareKey). */
  readonly pretrainKey?: (p: TrialParams) => string;
}

export interface ReplayOutcome {
  /** Joint epochs trained with the pruner, and without it. */
  readonly jointEpochs: number;
  readonly fullJointEpochs: number;
  /** Pruned trials, by number: the epoch after which each stopped. */
  readonly prunedAt: ReadonlyMap<number, number>;
}

export function replayPruner(trials: readonly ReplayTrial[], spec: Pruner, o: ReplayOptions): ReplayOutcome {
  const pretrainKey = o.pretrainKey ?? pretrainShareKey;
  const waiting = [...trials].sort((x, y) => x.number - y.number);
  const group = new Map(waiting.map((t) => [t.number, pruningGroupKey(t.params)]));
  // What each started trial has reported so far, and which ran to the end.
  const reported = new Map<number, Map<number, number>>();
  const finished = new Set<number>();
  const prunedAt = new Map<number, number>();
  const pretrainDone = new Map<string, number>();
  const events: { time: number; trial: ReplayTrial; epoch: number }[] = [];
  let now = 0;
  let idle = o.workers;
  let jointEpochs = 0;

  /** Starts the first waiting trial in queue order that no pretraining under way holds back. */
  const startOne = (): boolean => {
    const j = waiting.findIndex((t) => (pretrainDone.get(pretrainKey(t.params)) ?? -Infinity) <= now);
    if (j < 0) return false;
    const [t] = waiting.splice(j, 1);
    const key = pretrainKey(t!.params);
    let start = now;
    if (!pretrainDone.has(key)) {
      start += o.pretrainUnits ?? 0;
      pretrainDone.set(key, start);
    }
    reported.set(t!.number, new Map());
    events.push({ time: start + 1, trial: t!, epoch: 1 });
    return true;
  };

  for (;;) {
    while (idle > 0 && startOne()) idle--;
    if (events.length === 0) {
      if (waiting.length === 0) break;
      // Every waiting trial is held back: on to the end of the next pretraining.
      now = Math.min(...[...pretrainDone.values()].filter((v) => v > now));
      continue;
    }
    events.sort((x, y) => x.time - y.time || x.trial.number - y.trial.number);
    const { time, trial, epoch } = events.shift()!;
    now = time;
    jointEpochs++;
    const own = reported.get(trial.number)!;
    const value = trial.curve.get(epoch);
    if (value !== undefined) own.set(epoch, value);
    const peers: Peer[] = [];
    for (const [n, curve] of reported)
      if (n !== trial.number && group.get(n) === group.get(trial.number))
        peers.push({ complete: finished.has(n), curve });
    if (epoch < o.lastEpoch && decide(spec, own, epoch, o.lastEpoch, peers).prune) {
      prunedAt.set(trial.number, epoch);
      idle++;
    } else if (epoch >= o.lastEpoch) {
      finished.add(trial.number);
      idle++;
    } else events.push({ time: now + 1, trial, epoch: epoch + 1 });
  }
  return { jointEpochs, fullJointEpochs: trials.length * o.lastEpoch, prunedAt };
}

export interface GroupPick {
  /** The group's best final AUROC and its trial, over every trial, and over those the pruner let finish. */
  readonly full: { readonly value: number; readonly trial: number };
  readonly pruned: { readonly value: number; readonly trial: number } | null;
}

/** The oracle's pick per pruning group (the export's choice: best final test AUROC), with and without pruning. */
export function picksAfterReplay(
  trials: readonly ReplayTrial[],
  outcome: ReplayOutcome,
  lastEpoch: number,
): Map<string, GroupPick> {
  const picks = new Map<string, GroupPick>();
  for (const t of [...trials].sort((x, y) => x.number - y.number)) {
    const value = t.curve.get(lastEpoch);
    if (value === undefined || Number.isNaN(value)) continue;
    const key = pruningGroupKey(t.params);
    const p = picks.get(key);
    const full = !p || value > p.full.value ? { value, trial: t.number } : p.full;
    const kept = !outcome.prunedAt.has(t.number);
    const pruned = kept && (!p?.pruned || value > p.pruned.value) ? { value, trial: t.number } : (p?.pruned ?? null);
    picks.set(key, { full, pruned });
  }
  return picks;
}
