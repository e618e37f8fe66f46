import { TrialState } from '../trial/state.js';
import type { Counts } from './model.js';

/** The storage's counts per state code, as the header names them. */
export function countsOf(c: Readonly<Record<TrialState, number>>): Counts {
  return {
    complete: c[TrialState.COMPLETE],
    running: c[TrialState.RUNNING],
    waiting: c[TrialState.WAITING],
    failed: c[TrialState.FAIL],
    pruned: c[TrialState.PRUNED],
  };
}
