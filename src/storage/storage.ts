// The narrow storage interface (after Optuna's BaseStorage). Every backend
// (SQLite, PostgreSQL) implements it and passes the one shared suite in
// test/storage/. Reads return frozen snapshots: callers can never mutate
// stored state by accident.
//
// Why Promise-based: PostgreSQL is a network round trip, and a worker process
// must keep its event loop (heartbeats, signals, progress) free while a query
// waits. SQLite's calls are synchronous underneath and resolve at once.
import type { TrialState } from '../trial/state.js';
import type { GridPoint, ParamValue, TrialParams } from '../grid/expand.js';
import type { JsonValue } from '../json.js';
import type { StudyDirection } from './directions.js';

// The JSON type lives in a leaf module; storage re-exports it as its own.
export type { JsonValue, StudyDirection };

export interface StudySummary {
  readonly id: number;
  readonly name: string;
  /** Study system and user attributes (JSON-decoded). */
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  /** Its direction per objective, in objective order (ours: ['MAXIMIZE']). */
  readonly directions: readonly StudyDirection[];
}

/** A read-only snapshot of one trial (Optuna's FrozenTrial). */
/** A trial's learning curve (Storage.getTrialCurves): frozen, as FrozenTrial. */
export interface TrialCurve {
  readonly id: number;
  /** The trial's number in its study (Optuna's), as the logs and `status` name it. */
  readonly number: number;
  readonly state: TrialState;
  readonly params: Readonly<TrialParams>;
  /** Objective value per step (joint epoch). */
  readonly intermediate: ReadonlyMap<number, number>;
}

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
  /** Each param's distribution as stored (Optuna's JSON), so a copy keeps it verbatim. */
  readonly distributions: Readonly<Record<string, string>>;
  /** Objective per step (joint epoch, 1-based). */
  readonly intermediate: ReadonlyMap<number, number>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  /** Last heartbeat, for RUNNING trials (the database server's clock). */
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

/** A whole trial as another storage holds it, for `sweep copy` (Optuna's copy_study). */
export interface TrialImport {
  readonly state: TrialState;
  readonly value: number | null;
  readonly params: Readonly<TrialParams>;
  /**
   * Per param: its choices (encoded as enqueuePoints encodes them), or the
   * distribution JSON another storage holds (FrozenTrial.distributions), kept verbatim.
   */
  readonly distributions: Readonly<Record<string, readonly ParamValue[] | string>>;
  readonly intermediate: ReadonlyMap<number, number>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  /** Includes `grid_point` where the trial has one. */
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
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
  /** What it is, for messages: a file path, or a URL with any password masked. */
  readonly location: string;

  /**
   * Opens the study of that name, creating it when absent with `directions`
   * (default ['MAXIMIZE']; `sweep copy` passes the source study's) and
   * `systemAttrs` (search_space, definition hash ...); both are ignored for
   * a study that exists.
   */
  openStudy(
    name: string,
    systemAttrs: Record<string, JsonValue>,
    directions?: readonly StudyDirection[],
  ): Promise<StudySummary>;
  getStudy(name: string): Promise<StudySummary | null>;
  listStudies(): Promise<StudySummary[]>;
  setStudySystemAttr(studyId: number, key: string, value: JsonValue): Promise<void>;
  /** Study user attributes are Optuna's (study.set_user_attr); we write them only to copy a study verbatim. */
  setStudyUserAttr(studyId: number, key: string, value: JsonValue): Promise<void>;
  /** Deletes a study, its trials and everything of theirs, in one transaction; other studies are untouched. */
  deleteStudy(studyId: number): Promise<void>;

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
  ): Promise<EnqueueResult>;

  /**
   * Atomically moves the oldest WAITING trial that carries our grid point
   * attribute (and that `accept` takes, when given) to RUNNING, records
   * `worker` (host:pid) in its system attributes, and returns it; null when
   * none waits. Trials without a grid point (enqueued by Optuna) are never
   * claimed: they stay WAITING for Optuna. Safe across processes and hosts.
   */
  claimTrial(studyId: number, worker: string, accept?: (t: FrozenTrial) => boolean): Promise<FrozenTrial | null>;
  /** Records a heartbeat at the database server's clock. */
  heartbeat(trialId: number): Promise<void>;
  /**
   * RUNNING trials of ours (with a grid point) whose heartbeat is older than
   * `staleSeconds` by the server's clock become FAIL (with an error attribute
   * and fail_kind "process") and their points get a new WAITING trial, unless
   * the point is past `limits.maxRetries`. Returns the failed trial ids.
   */
  failStaleTrials(studyId: number, staleSeconds: number, limits?: RetryLimits): Promise<number[]>;

  setIntermediateValue(trialId: number, step: number, value: number): Promise<void>;
  setUserAttrs(trialId: number, attrs: Record<string, JsonValue>): Promise<void>;
  setSystemAttrs(trialId: number, attrs: Record<string, JsonValue>): Promise<void>;
  /** RUNNING -> COMPLETE (value required), FAIL or PRUNED. */
  finishTrial(trialId: number, state: TrialState, value?: number | null): Promise<void>;
  /** RUNNING -> WAITING: the trial was interrupted (Ctrl-C) and its point runs again later. */
  requeueTrial(trialId: number): Promise<void>;
  /** Adds a finished (or waiting) trial exactly as given, for `sweep copy`; returns its id. */
  importTrial(studyId: number, trial: TrialImport): Promise<number>;

  /**
   * Runs several calls as one transaction: all of them or none, and one
   * commit (a trial's final attributes never land without its state). `fn`
   * must make its calls through `tx`, the same interface bound to the
   * transaction. Other callers never see its writes before the commit
   * (SQLite makes them wait; PostgreSQL answers them from the committed
   * state). After a dropped connection `fn` may run again: no side effects
   * outside `tx`.
   */
  atomically<T>(fn: (tx: Storage) => Promise<T>): Promise<T>;

  getTrial(trialId: number): Promise<FrozenTrial>;
  getTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]>;
  /**
   * The learning curves of the study's trials in `states`, by number: what
   * the pruner compares, without the attributes that make up most of a
   * trial's read (each carries its loss history), so a check stays cheap on
   * a study of thousands of trials.
   */
  getTrialCurves(studyId: number, states: readonly TrialState[]): Promise<TrialCurve[]>;
  /** Counts per state, cheap enough to poll: all trials, only those with our grid point attribute, or only those without. */
  countTrials(studyId: number, which?: TrialFilter): Promise<Readonly<Record<TrialState, number>>>;

  /** Shared blobs and build leases: PostgreSQL (postgres-artifacts.ts) and SQLite (sqlite-artifacts.ts). */
  readonly artifacts?: ArtifactStore;

  close(): Promise<void>;
}
