// The retry limit (after Optuna's RetryFailedTrialCallback): a grid point whose
// trials FAILed more than maxRetries times is not queued again. One place says
// which failures count, for the storage (which queues), `sweep status` and the
// export (which say so).
import type { TrialParams } from '../grid/expand.js';
import type { JsonValue } from '../json.js';
import { TrialState } from './state.js';
import { errorOf, TRIAL_SYSTEM_ATTR } from './attrs.js';

/**
 * What the retry rule reads of a stored trial: the fields of storage's
 * FrozenTrial it needs, named here so that trial/ does not import storage
 * (storage imports trial/ for the states).
 */
export interface RetryTrial {
  readonly number: number;
  readonly state: TrialState;
  readonly gridPoint: string;
  readonly params: Readonly<TrialParams>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
}

/** maxRetries when the study does not set it: a point runs at most 3 times. */
export const DEFAULT_MAX_RETRIES = 2;

/** The study's maxRetries; also reads a stored definition (JSON), where anything else counts as absent. */
export function retryLimit(study: { readonly maxRetries?: unknown }): number {
  const m = study.maxRetries;
  return typeof m === 'number' && Number.isInteger(m) && m >= 0 ? m : DEFAULT_MAX_RETRIES;
}

/**
 * Trial system attribute of a FAIL trial: "trial" when the trial itself failed
 * (its error, its timeout, its hung or crashed worker), which counts against
 * maxRetries; "process" when the sweep process running it died or stopped
 * heart-beating (kill -9, power cut): that says nothing about the point and
 * does not count. FAIL trials written before this attribute existed have none
 * and do not count either, so old studies keep their behaviour.
 */
export const FAIL_KIND_ATTR = TRIAL_SYSTEM_ATTR.failKind;
export type FailKind = 'trial' | 'process';

export function countsAsRetry(t: RetryTrial): boolean {
  return t.state === TrialState.FAIL && t.systemAttrs[FAIL_KIND_ATTR] === 'trial';
}

export interface GivenUpPoint {
  readonly gridPoint: string;
  readonly params: RetryTrial['params'];
  readonly failures: number;
  /** The last failed trial's number and error. */
  readonly lastTrial: number;
  readonly lastError: string;
}

/** Points with no COMPLETE, PRUNED, WAITING or RUNNING trial that failed maxRetries + 1 times: they are not queued again. */
export function givenUpPoints(trials: readonly RetryTrial[], maxRetries: number): GivenUpPoint[] {
  const byPoint = new Map<string, RetryTrial[]>();
  for (const t of trials) {
    const list = byPoint.get(t.gridPoint);
    if (list) list.push(t);
    else byPoint.set(t.gridPoint, [t]);
  }
  const out: GivenUpPoint[] = [];
  for (const [gridPoint, list] of byPoint) {
    if (list.some((t) => t.state !== TrialState.FAIL)) continue;
    const counted = list.filter(countsAsRetry).sort((a, b) => a.number - b.number);
    if (counted.length <= maxRetries) continue;
    const last = counted[counted.length - 1]!;
    out.push({
      gridPoint,
      params: last.params,
      failures: counted.length,
      lastTrial: last.number,
      lastError: errorOf(last.userAttrs) ?? '',
    });
  }
  return out.sort((a, b) => a.lastTrial - b.lastTrial);
}
