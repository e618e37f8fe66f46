// What the screen shows, as plain data: one snapshot of a sweep. Two feeders
// fill it (the scheduler's events in `sweep start`, polling of the database
// in `sweep monitor`); the components render a snapshot and nothing else.
import type { TrialParams } from '../grid/expand.js';
import type { Step } from '../pool/messages.js';
import type { FrozenTrial, JsonValue } from '../storage/storage.js';
import type { DatasetName, Score, Study } from '../study/schema.js';
import {
  backendTagOf,
  durationOf,
  errorOf as storedError,
  lossHistoryOf,
  objectiveOf,
  readStoredDefinition,
} from '../trial/attrs.js';
import { aurocHistory, type ReportModel, type Selection } from '../report/index.js';
import { TrialState } from '../trial/state.js';
import { firstLine } from './layout.js';
import type { TrialCosts } from './eta.js';

export type LivePhase = 'starting' | 'pretrain' | 'joint';

/** A running trial as the running-trials table shows it. */
export interface LiveTrial {
  readonly trialId: number;
  readonly number: number;
  /** Which worker runs it (the scheduler's slot; in monitor mode a stable display slot). */
  readonly worker: number;
  readonly params: TrialParams;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly backend: string | null;
  readonly phase: LivePhase;
  /** Epoch of the phase reached (1-based); 0 before the first one ends. */
  readonly epoch: number;
  readonly epochs: number | null;
  /** Pretrained weights came from the cache. */
  readonly cached: boolean;
  /** While starting: what it does (preparing data, building the model, loading the cache); null before it said. */
  readonly step?: Step | null;
  /** Loss terms of the last epoch. */
  readonly losses: Readonly<Record<string, number | null>> | null;
  /** AUROC of the trial's objective score after each joint epoch. */
  readonly auroc: readonly number[];
}

/** One line printed once, above the live area, when a trial ends (or a note arrives). */
export interface LogItem {
  readonly key: string;
  readonly kind: 'COMPLETE' | 'PRUNED' | 'FAIL' | 'INTERRUPTED' | 'note';
  readonly number?: number;
  readonly worker?: number | null;
  readonly params?: TrialParams;
  readonly value?: number | null;
  readonly error?: string | null;
  readonly seconds?: number | null;
  readonly text?: string;
}

export interface FailedTrial {
  readonly number: number;
  readonly params: TrialParams;
  readonly error: string;
  /** ms since the epoch; null when unknown. */
  readonly at: number | null;
}

export interface Counts {
  readonly complete: number;
  readonly running: number;
  readonly waiting: number;
  readonly failed: number;
  readonly pruned: number;
  /** Trials without our grid point (added from Optuna): never run, not in the counts above. */
  readonly foreign?: number;
}

export interface SweepSnapshot {
  readonly mode: 'start' | 'monitor';
  readonly study: string;
  readonly dataset: DatasetName | null;
  readonly objective: Score;
  /** Trials that run at once (the study's workers, or more when several processes share it). */
  readonly workers: number;
  readonly epochs: { readonly pretrain: number | null; readonly joint: number | null };
  readonly counts: Counts;
  /** Grid points of the study: the progress bar's whole. */
  readonly points: number;
  readonly running: readonly LiveTrial[];
  /** Backend each worker reported, by worker index. */
  readonly backends: readonly (string | null)[];
  /** Append-only: finished trials and notes of this session, for <Static>. */
  readonly log: readonly LogItem[];
  /** Every FAIL trial of the study, oldest first. */
  readonly failed: readonly FailedTrial[];
  /** Mean duration of the study's finished trials; null before the first. */
  readonly meanSeconds: number | null;
  /** What a remaining trial is expected to take, pretraining or cached (eta.ts); null before the first. */
  readonly costs: TrialCosts | null;
  /** Pretrainings the waiting trials still need; null when pretraining is not shared (every trial pretrains). */
  readonly unbuilt: number | null;
  /** When trials finished (ms), the last hour's worth: for trials per hour. */
  readonly finishedAt: readonly number[];
  /** Start of "elapsed" (ms): this session in `sweep start`, the study's first trial in `sweep monitor`. */
  readonly since: number;
  /** Start of the evidence for trials per hour (ms). */
  readonly rateSince: number;
  readonly now: number;
  readonly report: ReportModel | null;
  /** Why there is no report (e.g. the default selection lacks a defaultPoint). */
  readonly reportError: string | null;
  readonly select: Selection;
  /** `sweep start` only: the user asked to stop; running trials are being given back. */
  readonly stopping: boolean;
  /** Monitor only: the last poll failed (with why); the screen keeps the last good data. */
  readonly stale: string | null;
}

/** The study definition stored by `sweep start` (system attr "definition"), if it validates. */
export function definitionOf(systemAttrs: Readonly<Record<string, JsonValue>>): Study | null {
  return readStoredDefinition(systemAttrs).study;
}

const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Seconds a finished trial took: the duration the scheduler recorded, else its timestamps. */
export function trialSeconds(t: FrozenTrial): number | null {
  const d = durationOf(t.userAttrs);
  if (d !== null) return d;
  if (t.startedAt && t.completedAt) return (t.completedAt.getTime() - t.startedAt.getTime()) / 1000;
  return null;
}

export function errorOf(t: FrozenTrial): string {
  const e = storedError(t.userAttrs);
  return e !== null && e.trim() !== '' ? firstLine(e) : '(no error message recorded)';
}

export function failedOf(t: FrozenTrial): FailedTrial {
  return { number: t.number, params: t.params, error: errorOf(t), at: t.completedAt?.getTime() ?? null };
}

export function logItemOf(t: FrozenTrial, worker: number | null): LogItem {
  const kind =
    t.state === TrialState.COMPLETE
      ? 'COMPLETE'
      : t.state === TrialState.FAIL
        ? 'FAIL'
        : t.state === TrialState.PRUNED
          ? 'PRUNED'
          : 'INTERRUPTED';
  return {
    key: `t${t.id}:${kind}:${t.completedAt?.getTime() ?? ''}`,
    kind,
    number: t.number,
    worker,
    params: t.params,
    value: t.value,
    error: kind === 'FAIL' ? errorOf(t) : null,
    seconds: trialSeconds(t),
  };
}

/**
 * A RUNNING trial read from the database (monitor mode): phase and epoch from
 * the last entry of its loss history, AUROC from its per-epoch history, both
 * written by the scheduler after every epoch.
 */
export function liveFromStored(
  t: FrozenTrial,
  worker: number,
  def: Study | null,
  objective: Score,
  now: number,
): LiveTrial {
  const history = lossHistoryOf(t.userAttrs);
  const last = history.length > 0 ? history[history.length - 1] : null;
  let phase: LivePhase = 'starting';
  let epoch = 0;
  let losses: Record<string, number | null> | null = null;
  // Joint epochs without a pretraining epoch before them: the weights came from the cache (or the model has no pretraining).
  const pretrained = history.some(
    (h) => h !== null && typeof h === 'object' && !Array.isArray(h) && h['phase'] === 'pretrain',
  );
  if (last && typeof last === 'object' && !Array.isArray(last)) {
    phase = last['phase'] === 'pretrain' ? 'pretrain' : 'joint';
    epoch = num(last['epoch']) ?? 0;
    losses = {};
    for (const [k, v] of Object.entries(last)) if (k !== 'phase' && k !== 'epoch') losses[k] = num(v);
  }
  const epochs =
    phase === 'pretrain'
      ? (def?.training.pretrainEpochs ?? null)
      : phase === 'joint'
        ? (def?.training.jointEpochs ?? null)
        : null;
  const score = objectiveOf(t.params.model, objective);
  const auroc = (aurocHistory(t, score, objective) ?? []).map((h) => h.value);
  const backend = backendTagOf(t.userAttrs);
  return {
    trialId: t.id,
    number: t.number,
    worker,
    params: t.params,
    startedAt: t.startedAt?.getTime() ?? now,
    backend,
    phase,
    epoch,
    epochs,
    // The database holds no cache flag until the trial ends; a joint phase with no pretraining epoch before it (of a study that pretrains, and shares) is the cache's.
    cached:
      phase === 'joint' && !pretrained && (def?.training.pretrainEpochs ?? 0) > 0 && (def?.pretrainCache ?? false),
    losses,
    auroc,
  };
}
