// Which stored trials belong to a study's grid. A study's database is Optuna's
// schema, so Optuna (or a person in Python) can add trials to it: an
// `enqueue_trial(...)`, a GridSampler run, `add_trial(...)`. Those trials have
// no grid point of ours, and their params may be anything, so they must never
// run, crash a report, or count. And a point whose axis value was removed from
// the study file is ours but no longer part of the definition in force.
//
//   ours     carries our `grid_point` attribute, its params hash to it, and the
//            point is in the current grid (or no grid is known);
//   removed  ours by its attribute and params, but not in the current grid;
//   foreign  anything else (no grid point, or params that do not match it).
import { gridPointId } from './expand.js';
import type { TrialParams } from './expand.js';

export type Membership = 'ours' | 'removed' | 'foreign';

/** What membership reads of a trial (a FrozenTrial has it). */
export interface TrialIdentity {
  readonly gridPoint: string;
  readonly params: Readonly<TrialParams>;
}

/** Whether a trial carries a valid grid point of ours: the attribute, and params that hash to it. */
export function carriesGridPoint(t: TrialIdentity): boolean {
  return t.gridPoint !== '' && pointIdOf(t.params) === t.gridPoint;
}

/** The grid point id params hash to; null for params that are no grid point's (a trial Optuna added may have any). */
export function pointIdOf(params: Readonly<TrialParams>): string | null {
  try {
    return gridPointId(params as TrialParams);
  } catch {
    return null;
  }
}

/** `expected`: ids of the grid in force; null when the study's grid is unknown (then every valid point is ours). */
export function membershipOf(t: TrialIdentity, expected: ReadonlySet<string> | null): Membership {
  if (!carriesGridPoint(t)) return 'foreign';
  return expected === null || expected.has(t.gridPoint) ? 'ours' : 'removed';
}

export interface SplitTrials<T> {
  readonly ours: T[];
  readonly removed: T[];
  readonly foreign: T[];
}

export function splitTrials<T extends TrialIdentity>(
  trials: readonly T[],
  expected: ReadonlySet<string> | null,
): SplitTrials<T> {
  const out: SplitTrials<T> = { ours: [], removed: [], foreign: [] };
  for (const t of trials) out[membershipOf(t, expected)].push(t);
  return out;
}

/** The line status, the live screen and the export print; null when there is nothing to say. */
export function ignoredLine(foreign: number, removed: number): string | null {
  const parts: string[] = [];
  if (foreign > 0) parts.push(`${foreign} trial${foreign === 1 ? '' : 's'} not from this grid, ignored`);
  if (removed > 0)
    parts.push(`${removed} trial${removed === 1 ? '' : 's'} of points removed from the study definition, left out`);
  return parts.length ? parts.join('; ') : null;
}
