import { TrialState } from '../trial/state.js';
import type { Storage } from '../storage/storage.js';
import type { Counts } from './model.js';

/** The storage's counts per state code, as the header names them. */
export function countsOf(c: Readonly<Record<TrialState, number>>, foreign = 0): Counts {
  return {
    // Only when there are some: most studies never see a trial from Optuna.
    ...(foreign > 0 ? { foreign } : {}),
    complete: c[TrialState.COMPLETE],
    running: c[TrialState.RUNNING],
    waiting: c[TrialState.WAITING],
    failed: c[TrialState.FAIL],
    pruned: c[TrialState.PRUNED],
  };
}

/** Counts of the trials of our grid, and how many trials Optuna added (which never run here). */
export async function studyCounts(storage: Storage, studyId: number): Promise<Counts> {
  const foreign = Object.values(await storage.countTrials(studyId, 'foreign')).reduce((a, b) => a + b, 0);
  return countsOf(await storage.countTrials(studyId, 'grid'), foreign);
}
