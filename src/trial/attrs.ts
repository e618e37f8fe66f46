// The one vocabulary of what a trial and a study record about themselves in
// Optuna's attribute tables. Every key is named here, in one case style
// (snake_case, as Optuna's own attributes), with its writer and its reader,
// so that the worker, the scheduler, the report, the screen and the CLI name
// things the same way and each fact is written once per trial. The one
// objective rule (which score a trial is judged by) and the one reader of the
// stored study definition are here too.
//
// Keys were renamed once (camelCase to snake_case). Databases written before
// keep the old keys, and a study is read long after it ran (`sweep export`,
// `sweep cache ls` over old db files), so each reader of a renamed key also
// accepts its old name (LEGACY_KEYS); writers only write the new one.
import type { JsonValue } from '../json.js';
import { objectiveScore, type ModelName } from '../study/models.js';
import { Grid, Study, type Score } from '../study/schema.js';

type Attrs = Readonly<Record<string, JsonValue>>;
type Scalar = string | number | boolean | null;

/** User attributes of a trial. */
export const ATTR = {
  // Written when the worker has its backend.
  backend: 'backend',
  backendNotes: 'backend_notes',
  backendKernels: 'backend_kernels',
  // Written after every epoch.
  lossHistory: 'loss_history',
  aurocHistory: 'auroc_history',
  aurocEpochs: 'auroc_epochs',
  // Written when the trial ends, by the scheduler.
  auroc: 'auroc',
  objectiveScore: 'objective_score',
  durationSeconds: 'duration_s',
  error: 'error',
  prunedAt: 'pruned_at',
  // Written when the trial ends, from what the worker measured (resultAttrs).
  objectiveNote: 'objective_note',
  network: 'network',
  pretrainCache: 'pretrain_cache',
  pretrainCacheKey: 'pretrain_cache_key',
  pretrainCacheError: 'pretrain_cache_error',
  pretrainNote: 'pretrain_note',
  pretrainSeconds: 'pretrain_seconds',
  jointSeconds: 'joint_seconds',
  evalSeconds: 'eval_seconds',
  trainedParameters: 'trained_parameters',
  radius: 'radius',
  workerThread: 'worker_thread',
} as const;

/** System attributes of a trial. */
export const TRIAL_SYSTEM_ATTR = {
  /** Our grid point id (storage reads it in SQL: src/storage/sqlite.ts). */
  gridPoint: 'grid_point',
  /** `host:pid` of the process that claimed the trial. */
  worker: 'worker',
  /** Why a trial FAILed: 'trial' (counts as a retry) or 'process' (src/trial/retries.ts). */
  failKind: 'fail_kind',
} as const;

/** System attributes of a study. */
export const STUDY_ATTR = {
  /** Data set, training, arch and objective at creation: a later start may not change them (src/study/compat.ts). */
  fixedSettings: 'fixed_settings',
  /** The study file it was created from (validated, defaults filled). */
  definition: 'definition',
  definitionHash: 'definition_hash',
  /** Every definition the study has had, oldest first (src/study/compat.ts). */
  definitionHistory: 'definition_history',
  /** Optuna's search space: the grid's axes. */
  searchSpace: 'search_space',
} as const;

/** The keys of databases written before the rename, by the key that replaced them. */
const LEGACY_KEYS: Readonly<Partial<Record<string, string>>> = {
  [ATTR.objectiveScore]: 'objectiveScore',
  [ATTR.objectiveNote]: 'objectiveNote',
  [ATTR.pretrainCache]: 'pretrainCache',
  [ATTR.pretrainCacheKey]: 'pretrainCacheKey',
  [ATTR.pretrainCacheError]: 'pretrainCacheError',
  [ATTR.pretrainNote]: 'pretrainNote',
  [ATTR.pretrainSeconds]: 'pretrainSeconds',
  [ATTR.jointSeconds]: 'jointSeconds',
  [ATTR.evalSeconds]: 'evalSeconds',
  [ATTR.trainedParameters]: 'trainedParameters',
};

/** A user attribute by its key, or by the key it had before the rename. */
export function readAttr(attrs: Attrs, key: string): JsonValue | undefined {
  const v = attrs[key];
  if (v !== undefined) return v;
  const old = LEGACY_KEYS[key];
  return old === undefined ? undefined : attrs[old];
}

const finite = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isScore = (v: JsonValue | undefined): v is Score => v === 'svdd' || v === 'rec' || v === 'svdd+rec';

// ---------------------------------------------------------------- the objective

/**
 * The one objective rule: the score a trial of this model is judged by under
 * the study's objective. The rule itself is a model trait (objectiveScore,
 * src/study/models.ts): the study's objective when the model has that score,
 * else the model's first.
 */
export function objectiveOf(model: ModelName, studyObjective: Score): Score {
  return objectiveScore(model, studyObjective);
}

/** The score a stored trial's `value` and intermediate values are of: what it recorded, else the rule. */
export function trialObjective(
  t: { readonly params: { readonly model: ModelName }; readonly userAttrs: Attrs },
  studyObjective: Score,
): Score {
  const s = readAttr(t.userAttrs, ATTR.objectiveScore);
  return isScore(s) ? s : objectiveOf(t.params.model, studyObjective);
}

// ---------------------------------------------------------------- writers

/** What the worker measured about a finished trial (src/training). */
export interface TrialFacts {
  /** Set when the model lacks the study's objective score: why the value is of another. */
  readonly objectiveNote?: string;
  readonly network: string;
  readonly pretrainCache: 'off' | 'hit' | 'miss' | 'rebuilt';
  /** Which cache entry the trial used: `sweep cache ls` names the studies of each entry. */
  readonly pretrainCacheKey?: string;
  readonly pretrainCacheError?: string;
  readonly pretrainNote?: string;
  readonly pretrainSeconds: number;
  readonly jointSeconds: number;
  readonly evalSeconds: number;
  readonly trainedParameters: number;
  /** The thread that ran it (0: a process's main thread); a thread runs trial after trial until one is interrupted. */
  readonly workerThread: number;
  /** Soft boundary: the final radius R. */
  readonly radius?: number;
}

/** The worker's facts as attributes (TrialResult.attrs; the scheduler stores them when the trial ends). */
export function resultAttrs(f: TrialFacts): Record<string, Scalar> {
  const out: Record<string, Scalar> = {
    [ATTR.network]: f.network,
    [ATTR.pretrainCache]: f.pretrainCache,
    [ATTR.pretrainSeconds]: f.pretrainSeconds,
    [ATTR.jointSeconds]: f.jointSeconds,
    [ATTR.evalSeconds]: f.evalSeconds,
    [ATTR.trainedParameters]: f.trainedParameters,
    [ATTR.workerThread]: f.workerThread,
  };
  if (f.objectiveNote !== undefined) out[ATTR.objectiveNote] = f.objectiveNote;
  if (f.pretrainCacheKey !== undefined) out[ATTR.pretrainCacheKey] = f.pretrainCacheKey;
  if (f.pretrainCacheError !== undefined) out[ATTR.pretrainCacheError] = f.pretrainCacheError;
  if (f.pretrainNote !== undefined) out[ATTR.pretrainNote] = f.pretrainNote;
  if (f.radius !== undefined) out[ATTR.radius] = f.radius;
  return out;
}

/** The backend the worker runs on: written once, when it reports it. */
export function backendAttrs(
  backend: string,
  notes: readonly string[],
  kernels: string | undefined,
): Record<string, JsonValue> {
  return {
    [ATTR.backend]: backend,
    [ATTR.backendNotes]: [...notes],
    ...(kernels ? { [ATTR.backendKernels]: kernels } : {}),
  };
}

/** A COMPLETE trial's final attributes: the worker's facts, every score's AUROC, the objective, the duration. */
export function completeAttrs(
  result: {
    readonly auroc: Readonly<Partial<Record<Score, number>>>;
    readonly attrs: Readonly<Record<string, Scalar>>;
  },
  objective: Score,
  seconds: number,
): Record<string, JsonValue> {
  return {
    ...result.attrs,
    [ATTR.auroc]: { ...result.auroc } as Record<string, number>,
    [ATTR.objectiveScore]: objective,
    [ATTR.durationSeconds]: roundSeconds(seconds),
  };
}

/**
 * A PRUNED trial's final attributes: the worker's facts when it stopped by
 * itself (the pruner's verdict), none when its worker had to be ended; no
 * final AUROC, since it did not finish.
 */
export function prunedAttrs(
  at: { readonly epoch: number; readonly reason: string },
  objective: Score,
  seconds: number,
  facts: Readonly<Record<string, Scalar>> = {},
): Record<string, JsonValue> {
  return {
    ...facts,
    [ATTR.prunedAt]: { epoch: at.epoch, reason: at.reason },
    [ATTR.objectiveScore]: objective,
    [ATTR.durationSeconds]: roundSeconds(seconds),
  };
}

/** A FAILed trial's final attributes (seconds absent: the process that ran it died, nobody timed it). */
export function failedAttrs(error: string, seconds?: number): Record<string, JsonValue> {
  return seconds === undefined
    ? { [ATTR.error]: error }
    : { [ATTR.error]: error, [ATTR.durationSeconds]: roundSeconds(seconds) };
}

function roundSeconds(s: number): number {
  return Math.round(s * 1000) / 1000;
}

// ---------------------------------------------------------------- readers

/**
 * The backend a trial ran on, with what computed its heavy kernels where that
 * was recorded: "wasm (native GEMM: OpenBLAS 0.3.21 SkylakeX)". Results from the
 * native and the XNNPACK kernels differ in the last bits, so reports keep them
 * apart.
 */
export function backendLabel(userAttrs: Attrs): string | null {
  const b = userAttrs[ATTR.backend];
  if (typeof b !== 'string') return null;
  const k = userAttrs[ATTR.backendKernels];
  return typeof k === 'string' && k !== '' ? `${b} (${k})` : b;
}

/** The short form for narrow columns: "wasm+blas" when the native GEMM ran, else the backend. */
export function backendTag(backend: string, kernels: string | undefined): string {
  return kernels?.startsWith('native GEMM') ? `${backend}+blas` : backend;
}

/** The short backend tag of a stored trial, or null before it reported one. */
export function backendTagOf(userAttrs: Attrs): string | null {
  const b = userAttrs[ATTR.backend];
  const k = userAttrs[ATTR.backendKernels];
  return typeof b === 'string' ? backendTag(b, typeof k === 'string' ? k : undefined) : null;
}

/** Seconds the trial ran, as the scheduler timed it. */
export function durationOf(userAttrs: Attrs): number | null {
  return finite(userAttrs[ATTR.durationSeconds]);
}

/** The error a FAILed trial recorded, or null. */
export function errorOf(userAttrs: Attrs): string | null {
  const e = userAttrs[ATTR.error];
  return typeof e === 'string' ? e : null;
}

/** Where the pruner stopped a trial. */
export function prunedAtOf(userAttrs: Attrs): { epoch: number | null; reason: string } | null {
  const at = userAttrs[ATTR.prunedAt];
  if (at === null || typeof at !== 'object' || Array.isArray(at)) return null;
  return { epoch: finite(at['epoch']), reason: typeof at['reason'] === 'string' ? at['reason'] : '' };
}

/** Pretraining time and whether it came from the cache (for the ETA). */
export function pretrainTimingOf(userAttrs: Attrs): { seconds: number | null; cacheHit: boolean } {
  return {
    seconds: finite(readAttr(userAttrs, ATTR.pretrainSeconds)),
    cacheHit: readAttr(userAttrs, ATTR.pretrainCache) === 'hit',
  };
}

/** The pretraining cache entry a trial used, or null. */
export function pretrainCacheKeyOf(userAttrs: Attrs): string | null {
  const k = readAttr(userAttrs, ATTR.pretrainCacheKey);
  return typeof k === 'string' ? k : null;
}

/** The loss history (one entry per epoch: phase, epoch, loss terms). */
export function lossHistoryOf(userAttrs: Attrs): JsonValue[] {
  const h = userAttrs[ATTR.lossHistory];
  return Array.isArray(h) ? h : [];
}

// ---------------------------------------------------------------- the study

/**
 * The one reader of the study file a study was created from (system attribute
 * `definition`): the study, or null with the reason when it is absent (null
 * problem) or does not validate.
 */
export function readStoredDefinition(systemAttrs: Attrs): { study: Study | null; problem: string | null } {
  let raw: unknown = systemAttrs[STUDY_ATTR.definition];
  if (raw === undefined || raw === null) return { study: null, problem: null };
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return { study: null, problem: 'the study attribute "definition" is not JSON' };
    }
  }
  const parsed = Study.safeParse(raw);
  return parsed.success
    ? { study: parsed.data, problem: null }
    : { study: null, problem: 'the study attribute "definition" does not validate as a study file' };
}

/** The grid of the stored definition, else Optuna's `search_space` attribute (which holds the same axes). */
export function readStoredGrid(def: Study | null, systemAttrs: Attrs): Grid | null {
  if (def) return def.grid;
  const parsed = Grid.safeParse(systemAttrs[STUDY_ATTR.searchSpace]);
  return parsed.success ? parsed.data : null;
}
