// What crosses the thread (or process) boundary between the scheduler and a
// worker: plain, structured-cloneable objects only. Workers never see the
// database; they get a task and send progress and a result back. Training
// owns these (a trial is what they describe); the pool, the scheduler and the
// screen import them from here, so training never imports the pool.
import type { TrialParams } from '../grid/expand.js';
import type { Phase } from '../models/types.js';
import type { Arch, BackendChoice, Dataset, Score, Training } from '../study/schema.js';

export type { Phase };

/** Everything a worker needs to train one trial. */
export interface TrialTask {
  readonly trialId: number;
  readonly trialNumber: number;
  readonly study: string;
  readonly params: TrialParams;
  readonly dataset: Dataset;
  readonly training: Training;
  readonly arch: Arch;
  readonly objective: Score;
  readonly backend: BackendChoice;
  /** Folder for on-disk caches (pretrained weights, preprocessed data); null disables caching. */
  readonly cacheDir: string | null;
}

/**
 * What a trial does before its first epoch: preparing its data (decoding the
 * set where this worker has no shared copy, subsampling, scaling), building
 * the network, loading the pretraining cache. Each can take a minute on the
 * paper's sizes; the screen says which instead of a silent "starting".
 */
export type Step = 'data' | 'model' | 'cache';

/** Each step as the screen and the plain log say it. */
export const STEP_TEXT: Readonly<Record<Step, string>> = {
  data: 'preparing data',
  model: 'building model',
  cache: 'loading cached AE',
};

export type Progress =
  | {
      readonly type: 'backend';
      /** The backend the worker got, e.g. "wasm". */
      readonly backend: string;
      /** Why the ones before it were skipped. */
      readonly notes: readonly string[];
      /** What computes its heavy kernels, where that varies (wasm: "native GEMM: OpenBLAS 0.3.21 SkylakeX" or why not). */
      readonly kernels?: string;
    }
  | { readonly type: 'step'; readonly step: Step }
  | { readonly type: 'phase'; readonly phase: Phase; readonly epochs: number; readonly cached?: boolean }
  | {
      readonly type: 'epoch';
      readonly phase: Phase;
      /** 1-based. */
      readonly epoch: number;
      readonly epochs: number;
      /** Mean loss terms of the epoch: total, svdd, rec, kl, R ... */
      readonly losses: Readonly<Record<string, number>>;
      /** AUROC per score after this epoch (joint epochs only). */
      readonly auroc?: Readonly<Partial<Record<Score, number>>>;
    };

export interface TrialResult {
  /** The objective: AUROC of the objective score after the last joint epoch. */
  readonly value: number;
  /** Final AUROC of every score the model has. */
  readonly auroc: Readonly<Partial<Record<Score, number>>>;
  /** Anything else worth keeping (timings, pretraining cache hit ...). */
  readonly attrs: Readonly<Record<string, string | number | boolean | null>>;
  /**
   * Set when the trial stopped early because the scheduler's pruner said so
   * (the answer to `ShouldStop` after this joint epoch); `value` and `auroc`
   * are then of that epoch. Absent: the trial ran all its epochs.
   */
  readonly stoppedAt?: number;
}

/**
 * Asked by a trial after each scored joint epoch but the last, once that
 * epoch's progress is sent: whether to stop here (Optuna's
 * `trial.should_prune()`). The trial waits for the answer, so a pruned trial
 * trains no epoch past its verdict and its worker stays up for the next one.
 */
export type ShouldStop = (epoch: number) => Promise<boolean>;

/** Sends progress from inside a trial function. */
export type Emit = (p: Progress) => void;
