// The scheduler's side of pruning: reads a trial's curve and its group's
// curves from storage (every process's trials, since they share the
// database) and asks decide.ts. One call per reported joint epoch, and the
// trial waits for it, so it reads the curves alone (getTrialCurves), not the
// trials with their attributes: on a study of thousands of trials each
// carrying its loss history, that is tens of MB per check.
import type { FrozenTrial, Storage } from '../storage/storage.js';
import type { Pruner } from '../study/schema.js';
import { TrialState } from '../trial/state.js';
import { decide, type Decision } from './decide.js';
import { pruningGroupKey } from './group.js';

export interface TrialPruner {
  /** After `trial` stored its value for `epoch`: whether to stop it, and why. */
  check(trial: FrozenTrial, epoch: number): Promise<Decision>;
}

/** Peers that can inform a decision: finished or still running (WAITING and FAIL trials have no usable curve). */
const PEER_STATES = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING];

export function storagePruner(spec: Pruner, storage: Storage, studyId: number, lastEpoch: number): TrialPruner {
  return {
    async check(trial, epoch) {
      const key = pruningGroupKey(trial.params);
      const curves = await storage.getTrialCurves(studyId, PEER_STATES);
      // Its own curve is among them while it runs; read it alone if another process finished it meanwhile.
      const own =
        curves.find((t) => t.id === trial.id)?.intermediate ?? (await storage.getTrial(trial.id)).intermediate;
      const peers = curves
        .filter((t) => t.id !== trial.id && pruningGroupKey(t.params) === key)
        .map((t) => ({ complete: t.state === TrialState.COMPLETE, curve: t.intermediate }));
      return decide(spec, own, epoch, lastEpoch, peers);
    },
  };
}
