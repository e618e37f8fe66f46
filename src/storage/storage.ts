// The narrow storage interface (after Optuna's BaseStorage). Every backend
// (SQLite now, PostgreSQL later) implements it and passes the one shared
// suite in test/storage/. Reads return frozen snapshots: callers can never
// mutate stored state by accident.
import type { TrialState } from '../trial/state.js';
import type { GridPoint, ParamValue, TrialParams } from '../grid/expand.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface StudySummary {
  readonly id: number;
  readonly name: string;
  /** Study system and user attributes (JSON-decoded). */
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
}

/** A read-only snapshot of one trial (Optuna's FrozenTrial). */
export interface FrozenTrial {
  readonly id: number;
  /** 0-based number within the study. */
  readonly number: number;
  readonly state: TrialState;
  /** The objective value (AUROC of the study's objective score at the last joint epoch). */
  readonly value: number | null;
  /** Our grid point id (system attribute `grid_point`). */
  readonly gridPoint: string;
  readonly params: Readonly<TrialParams>;
  /** Objective per step (joint epoch, 1-based). */
  readonly intermediate: ReadonlyMap<number, number>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  /** Last heartbeat, for RUNNING trials. */
  readonly heartbeatAt: Date | null;
}

/** Trials with our `grid_point` system attribute ('grid'), those without ('foreign': added by Optuna), or both. */
export type TrialFilter = 'all' | 'grid' | 'foreign';

export interface EnqueueResult {
  /** Points that got a new WAITING trial. */
  readonly added: number;
  /** Points skipped because they are COMPLETE, WAITING or RUNNING already. */
  readonly present: number;
  /** With a retry limit: points skipped because they failed more than maxRetries times (src/trial/retries.ts). */
  readonly exhausted?: number;
}

export interface RetryLimits {
  /** A point with more than this many FAIL trials that count (fail_kind "trial") is not queued again; absent: no limit. */
  readonly maxRetries?: number;
}

/** What enqueuePoints may queue again besides FAIL-only points, and how often. */
export interface EnqueueOptions extends RetryLimits {
  /** Also queue again points whose trials were all PRUNED (or FAILed). */
  readonly rerunPruned?: boolean;
}

/** A stored blob (pretrained weights), kept once with its checksum. */
export interface Artifact {
  readonly key: string;
  readonly bytes: Uint8Array;
  /** sha256 of `bytes`, hex. */
  readonly sha256: string;
  readonly createdAt: Date;
}

/**
 * Blobs shared by every host of a study, and leases that say which host
 * builds one. Only a storage that several hosts reach (PostgreSQL) offers it;
 * SQLite studies keep the local disk cache.
 */
export interface ArtifactStore {
  getArtifact(key: string): Promise<Artifact | null>;
  /** Stores the blob under `key` once; a second put of the same key keeps the first (same content by construction). */
  putArtifact(key: string, bytes: Uint8Array): Promise<Artifact>;
  /**
   * Takes the lease on `key` for `holder` for `seconds` (server clock): true
   * when taken or renewed by the same holder, false while another holder's
   * lease is live. An expired lease can be taken by anyone.
   */
  acquireLease(key: string, holder: string, seconds: number): Promise<boolean>;
  releaseLease(key: string, holder: string): Promise<void>;
}

export interface Storage {
  /**
   * Opens the study of that name, creating it (direction maximize) when absent.
   * `systemAttrs` are written on creation (search_space, definition hash ...).
   */
  openStudy(name: string, systemAttrs: Record<string, JsonValue>): StudySummary;
  getStudy(name: string): StudySummary | null;
  listStudies(): StudySummary[];
  setStudySystemAttr(studyId: number, key: string, value: JsonValue): void;
  /** Deletes a study, its trials and everything of theirs, in one transaction; other studies are untouched. */
  deleteStudy(studyId: number): void;

  /**
   * Adds a WAITING trial for every point that has no COMPLETE, PRUNED,
   * WAITING or RUNNING trial yet (a point whose trials all FAILed runs again).
   * `distributions` maps each param name to its choices (categorical encoding).
   * With `rerunPruned`, a point whose trials were PRUNED (and none is
   * COMPLETE, WAITING or RUNNING) gets a new WAITING trial too.
   */
  enqueuePoints(
    studyId: number,
    points: readonly GridPoint[],
    distributions: Record<string, readonly ParamValue[]>,
    opts?: EnqueueOptions,
  ): EnqueueResult;

  /**
   * Atomically moves the oldest WAITING trial that carries our grid point
   * attribute (and that `accept` takes, when given) to RUNNING and returns it;
   * null when none waits. Trials without a grid point (enqueued by Optuna) are
   * never claimed: they stay WAITING for Optuna. Safe across processes.
   */
  claimTrial(studyId: number, worker: string, accept?: (t: FrozenTrial) => boolean): FrozenTrial | null;
  heartbeat(trialId: number): void;
  /**
   * RUNNING trials of ours (with a grid point) whose heartbeat is older than `staleSeconds` become FAIL
   * (with an error attribute and fail_kind "process") and their points get a
   * new WAITING trial, unless the point is past `limits.maxRetries`.
   * Returns the failed trial ids.
   */
  failStaleTrials(studyId: number, staleSeconds: number, limits?: RetryLimits): number[];

  setIntermediateValue(trialId: number, step: number, value: number): void;
  setUserAttrs(trialId: number, attrs: Record<string, JsonValue>): void;
  setSystemAttrs(trialId: number, attrs: Record<string, JsonValue>): void;
  /** RUNNING -> COMPLETE (value required), FAIL or PRUNED. */
  finishTrial(trialId: number, state: TrialState, value?: number | null): void;
  /** RUNNING -> WAITING: the trial was interrupted (Ctrl-C) and its point runs again later. */
  requeueTrial(trialId: number): void;

  /**
   * Runs several writes as one transaction: all of them or none, and one
   * commit (a trial's final attributes never land without its state).
   */
  atomically<T>(fn: () => T): T;

  getTrial(trialId: number): FrozenTrial;
  getTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[];
  /** Counts per state, cheap enough to poll: all trials, only those with our grid point attribute, or only those without. */
  countTrials(studyId: number, which?: TrialFilter): Readonly<Record<TrialState, number>>;

  /** Shared blobs and build leases (src/storage/sqlite-artifacts.ts for SQLite). */
  readonly artifacts?: ArtifactStore;

  close(): void;
}
