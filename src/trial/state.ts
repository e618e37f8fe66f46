// Trial states with Optuna's integer codes (optuna.trial.TrialState), and the
// one table of allowed transitions. Every state change in every storage goes
// through `assertTransition`, so the lifecycle is guarded in one place.

export const TrialState = {
  RUNNING: 0,
  COMPLETE: 1,
  PRUNED: 2,
  FAIL: 3,
  WAITING: 4,
} as const;
export type TrialState = (typeof TrialState)[keyof typeof TrialState];

export const TRIAL_STATE_NAMES: Readonly<Record<TrialState, string>> = {
  0: 'RUNNING',
  1: 'COMPLETE',
  2: 'PRUNED',
  3: 'FAIL',
  4: 'WAITING',
};

/** The state of an Optuna state name as SQLAlchemy stores the Enum ('RUNNING' ...); undefined for anything else. */
export function trialStateFromName(name: string): TrialState | undefined {
  switch (name) {
    case 'RUNNING':
      return TrialState.RUNNING;
    case 'COMPLETE':
      return TrialState.COMPLETE;
    case 'PRUNED':
      return TrialState.PRUNED;
    case 'FAIL':
      return TrialState.FAIL;
    case 'WAITING':
      return TrialState.WAITING;
    default:
      return undefined;
  }
}

export function isFinished(state: TrialState): boolean {
  return state === TrialState.COMPLETE || state === TrialState.PRUNED || state === TrialState.FAIL;
}

/**
 * WAITING -> RUNNING (claimed), RUNNING -> COMPLETE | PRUNED | FAIL (finished),
 * RUNNING -> WAITING (given back on Ctrl-C: the point runs again later).
 * Finished trials never change: a finished trial is never lost or rewritten.
 */
const ALLOWED: Readonly<Record<TrialState, readonly TrialState[]>> = {
  [TrialState.WAITING]: [TrialState.RUNNING],
  [TrialState.RUNNING]: [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.WAITING],
  [TrialState.COMPLETE]: [],
  [TrialState.PRUNED]: [],
  [TrialState.FAIL]: [],
};

export class TrialStateError extends Error {
  constructor(
    readonly trialId: number,
    readonly from: TrialState,
    readonly to: TrialState,
  ) {
    super(`trial ${trialId}: cannot change state ${TRIAL_STATE_NAMES[from]} -> ${TRIAL_STATE_NAMES[to]}`);
    this.name = 'TrialStateError';
  }
}

export function canTransition(from: TrialState, to: TrialState): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(trialId: number, from: TrialState, to: TrialState): void {
  if (!canTransition(from, to)) throw new TrialStateError(trialId, from, to);
}

/**
 * A finished trial is frozen: its values, intermediate values and attributes
 * cannot be written any more (as Optuna's `_check_trial_is_updatable`), so a
 * late message from a worker can never rewrite a result.
 */
export class TrialFinishedError extends Error {
  constructor(
    readonly trialId: number,
    readonly state: TrialState,
    readonly what: string,
  ) {
    super(`trial ${trialId}: cannot write ${what}, the trial is ${TRIAL_STATE_NAMES[state]} already`);
    this.name = 'TrialFinishedError';
  }
}

export function assertUpdatable(trialId: number, state: TrialState, what: string): void {
  if (isFinished(state)) throw new TrialFinishedError(trialId, state, what);
}
