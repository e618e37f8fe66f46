// The Storage interface on one SQLite file in Optuna's schema (see schema.ts).
//
// Concurrency: WAL mode, so readers (a monitor in another terminal) never
// block the writer and the writer never blocks them. Every write is one short
// BEGIN IMMEDIATE transaction: it takes the write lock before reading, so two
// processes claiming from one file serialize on the lock (busy_timeout waits
// up to 10 s) and can never both see the same WAITING trial, and a deferred
// read-then-write can never fail with SQLITE_BUSY_SNAPSHOT.
//
// Async: the Storage interface is Promise-based (PostgreSQL is a round trip);
// here every call runs synchronously underneath and resolves at once. The only
// thing async adds is `atomically`: its fn awaits between calls, and another
// caller of this connection could run inside the open transaction meanwhile
// (and be committed or rolled back with it). So while a transaction is open,
// every other call on this storage waits for it to end (SqliteStorage below).
//
// Durability: synchronous=NORMAL. In WAL mode a commit is in the WAL file when
// the transaction returns, so it survives SIGKILL of the process; only a power
// loss or OS crash may lose the last commits (they are fsynced at checkpoint).
// A lost trial result then runs again; that is the price of ~10x faster commits.
import { existsSync, readFileSync } from 'node:fs';
import { makeDirs } from '../fs/mkdirs.js';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../errors/index.js';
import type { GridPoint, ParamValue, TrialParams } from '../grid/expand.js';
import {
  assertTransition,
  assertUpdatable,
  isFinished,
  TRIAL_STATE_NAMES,
  TrialState,
  trialStateFromName,
} from '../trial/state.js';
import { deepFreeze, FrozenMap } from './frozen.js';
import { pyJsonDumps, pyJsonLoads } from './pyjson.js';
import { categoricalJson, ParamCodec } from './params.js';
import { checkDirections, DEFAULT_DIRECTIONS, readDirections, type StudyDirection } from './directions.js';
import { createOwnIndexes, createSchema, hasOwnIndexes, inspectSchema, STUDY_DELETE_ORDER } from './schema.js';
import { SqliteArtifactStore } from './sqlite-artifacts.js';
import type {
  ArtifactStore,
  EnqueueOptions,
  EnqueueResult,
  FrozenTrial,
  TrialCurve,
  JsonValue,
  RetryLimits,
  Storage,
  StudySummary,
  TrialFilter,
  TrialImport,
} from './storage.js';
import { FAIL_KIND_ATTR, type FailKind } from '../trial/retries.js';
import { TRIAL_SYSTEM_ATTR } from '../trial/attrs.js';
import { formatUtc, microsOf, parseUtc, utcNow, utcSecondsAgo } from './time.js';

export interface SqliteOpenOptions {
  /** Open for reading only (a monitor): never takes a write lock; the file must exist. */
  readonly readonly?: boolean;
  /**
   * The clock (ms since the epoch) that stamps starts, heartbeats and stale
   * checks; default the system clock. Tests inject one to make heartbeats go
   * stale without waiting.
   */
  readonly clock?: () => number;
}

const BUSY_TIMEOUT_MS = 10_000;
/** Trial system attribute holding our grid point id (named in src/trial/attrs.ts, with every other key). */
export const GRID_POINT_ATTR = TRIAL_SYSTEM_ATTR.gridPoint;
/** Trial system attribute naming the worker that claimed the trial. */
export const WORKER_ATTR = TRIAL_SYSTEM_ATTR.worker;

interface TrialRow {
  trial_id: number;
  number: number;
  study_id: number;
  state: string;
  datetime_start: string | null;
  datetime_complete: string | null;
}
interface ParamRow {
  trial_id: number;
  param_name: string;
  param_value: number;
  distribution_json: string;
}
interface ValueRow {
  trial_id: number;
  value: number | null;
  value_type: string;
}
interface StepRow {
  trial_id: number;
  step: number;
  intermediate_value: number | null;
  intermediate_value_type: string;
}
interface AttrRow {
  trial_id: number;
  key: string;
  value_json: string;
}
interface HeartbeatRow {
  trial_id: number;
  heartbeat: string;
}

/** A JSON array of distinct encoded grid point ids, bound to the `json_each(?)` of the per-point lookups. */
interface IdsParam {
  readonly json: string;
}
function idsParam(encoded: readonly string[]): IdsParam {
  return { json: JSON.stringify([...new Set(encoded)]) };
}

/** Stored repr of a float as Optuna's TrialValueModel/TrialIntermediateValueModel. */
function storedFloat(v: number): [number | null, string] {
  if (Number.isNaN(v)) return [null, 'NAN'];
  if (v === Infinity) return [null, 'INF_POS'];
  if (v === -Infinity) return [null, 'INF_NEG'];
  return [v, 'FINITE'];
}

function loadFloat(value: number | null, type: string): number {
  switch (type) {
    case 'NAN':
      return NaN;
    case 'INF_POS':
      return Infinity;
    case 'INF_NEG':
      return -Infinity;
    default:
      return value ?? NaN;
  }
}

function stateOf(name: string, trialId: number, file: string): TrialState {
  const s = trialStateFromName(name);
  if (s === undefined)
    throw new StorageError(`trial ${trialId} has unknown state ${JSON.stringify(name)} (damaged file?)`, file);
  return s;
}

function groupBy<R extends { trial_id: number }>(rows: readonly R[]): Map<number, R[]> {
  const m = new Map<number, R[]>();
  for (const r of rows) {
    const list = m.get(r.trial_id);
    if (list) list.push(r);
    else m.set(r.trial_id, [r]);
  }
  return m;
}

/** Maps SQLite's failures to a StorageError that says what to do; anything else passes through. */
function translate(err: unknown, file: string): unknown {
  if (!(err instanceof Database.SqliteError)) return err;
  const code = err.code;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StorageError(
      `database is locked: another process held its write lock for more than ${BUSY_TIMEOUT_MS / 1000} s (${err.message}); ` +
        'wait for it or stop it, and keep the file on a local disk',
      file,
      { cause: err },
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StorageError(
      `cannot write: the database was opened read-only (or the file/folder is not writable) (${err.message})`,
      file,
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StorageError(`is not an SQLite database or is damaged (${err.message}); pass another --db file`, file, {
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new StorageError(
      `cannot read or write the database (${err.message}); check the path, permissions and free disk space`,
      file,
      {
        cause: err,
      },
    );
  }
  return err;
}

/** One SQLite connection, synchronous (better-sqlite3); SqliteStorage gives it the async interface. */
class SqliteConnection {
  // Params in and out of trial_params (params.ts), each distinct distribution parsed once.
  readonly #params: ParamCodec;
  readonly #db: Database.Database;
  readonly #file: string;
  readonly #s: ReturnType<typeof prepare>;
  readonly #tx: ReturnType<SqliteConnection['makeTransactions']>;
  readonly #clock: (() => number) | undefined;
  /** Shared blobs and leases, in tables of ours in the same file (sqlite-artifacts.ts). */
  readonly artifacts: ArtifactStore;

  constructor(db: Database.Database, file: string, clock?: () => number) {
    this.#db = db;
    this.#file = file;
    this.#params = new ParamCodec(file, 'damaged file?');
    this.artifacts = new SqliteArtifactStore(db, file, clock);
    this.#clock = clock;
    this.#s = prepare(db);
    this.#tx = this.makeTransactions();
  }

  // ---- helpers --------------------------------------------------------------

  #utcNow(): string {
    return this.#clock ? formatUtc(this.#clock() * 1000) : utcNow();
  }

  #utcSecondsAgo(seconds: number): string {
    return this.#clock ? formatUtc(this.#clock() * 1000 - Math.round(seconds * 1e6)) : utcSecondsAgo(seconds);
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translate(err, this.#file);
    }
  }

  #trialRow(trialId: number): TrialRow {
    const row = this.#s.trialById.get(trialId) as TrialRow | undefined;
    if (!row) throw new StorageError(`no trial with id ${trialId}`, this.#file);
    return row;
  }

  #nextNumber(studyId: number): number {
    return (this.#s.maxNumber.get(studyId) as { n: number | null }).n ?? 0;
  }

  #assertStudy(studyId: number): void {
    if (this.#s.studyById.get(studyId) === undefined) throw new StorageError(`no study with id ${studyId}`, this.#file);
  }

  /**
   * FAIL trials that count against maxRetries (src/trial/retries.ts), per
   * grid point of `ids` (by the partial index on grid point attributes, so
   * the cost follows ids, not the study's size). Keyed by encoded id.
   */
  #countedFailures(studyId: number, ids: IdsParam): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.#s.countedFailures.iterate(
      ids.json,
      pyJsonDumps('trial' satisfies FailKind),
      studyId,
    ) as Iterable<{
      value_json: string;
      n: number;
    }>) {
      out.set(r.value_json, r.n);
    }
    return out;
  }

  /**
   * The categorical encoding of each param (distribution_to_json of
   * optuna/distributions.py; the stored value is the choice's index), built
   * once per name. `who` names the trial or point in errors.
   */
  #encoders(distributions: Readonly<Record<string, readonly ParamValue[]>>) {
    const encoders = new Map<string, { json: string; indexOf: (value: ParamValue, who: string) => number }>();
    return (name: string, who: string) => {
      let e = encoders.get(name);
      if (!e) {
        const choices = distributions[name];
        if (!choices) {
          throw new StorageError(
            `${who} has param "${name}" but the distributions given have no choices for it`,
            this.#file,
          );
        }
        const json = categoricalJson(choices);
        const index = new Map(choices.map((c, i) => [c, i]));
        e = {
          json,
          indexOf: (value, w) => {
            const i = index.get(value);
            if (i === undefined)
              throw new StorageError(
                `${w}: ${name}=${JSON.stringify(value)} is not among its choices ${json}`,
                this.#file,
              );
            return i;
          },
        };
        encoders.set(name, e);
      }
      return e;
    };
  }

  /** Encoded ids of `ids` that already have a trial in a state that keeps the point from being queued again. */
  #livePoints(studyId: number, ids: IdsParam, rerunPruned: boolean): Set<string> {
    const stmt = rerunPruned ? this.#s.livePointsNotPruned : this.#s.livePoints;
    return new Set(stmt.all(ids.json, studyId) as string[]);
  }

  #insertWaitingTrial(studyId: number, number: number, gridPoint: string): number {
    const trialId = Number(this.#s.insertTrial.run(number, studyId).lastInsertRowid);
    this.#s.upsertTrialSystemAttr.run(trialId, GRID_POINT_ATTR, pyJsonDumps(gridPoint));
    return trialId;
  }

  #studySummary(row: { study_id: number; study_name: string }): StudySummary {
    const attrs = (stmt: Database.Statement) => {
      const out: Record<string, JsonValue> = {};
      for (const r of stmt.all(row.study_id) as { key: string; value_json: string }[])
        out[r.key] = deepFreeze(pyJsonLoads(r.value_json));
      return Object.freeze(out);
    };
    return Object.freeze({
      id: row.study_id,
      name: row.study_name,
      systemAttrs: attrs(this.#s.studySystemAttrs),
      userAttrs: attrs(this.#s.studyUserAttrs),
      directions: readDirections(
        (this.#s.studyDirections.all(row.study_id) as { direction: string }[]).map((r) => r.direction),
        row.study_name,
        this.#file,
        'damaged file?',
      ),
    });
  }

  #build(
    row: TrialRow,
    params: readonly ParamRow[] = [],
    values: readonly ValueRow[] = [],
    steps: readonly StepRow[] = [],
    userAttrs: readonly AttrRow[] = [],
    systemAttrs: readonly AttrRow[] = [],
    heartbeat: string | null = null,
  ): FrozenTrial {
    const p: Record<string, ParamValue> = {};
    const d: Record<string, string> = {};
    for (const r of params) {
      p[r.param_name] = this.#params.decode(r.distribution_json, r.param_value);
      d[r.param_name] = r.distribution_json;
    }
    const ua: Record<string, JsonValue> = {};
    for (const r of userAttrs) ua[r.key] = deepFreeze(pyJsonLoads(r.value_json));
    const sa: Record<string, JsonValue> = {};
    for (const r of systemAttrs) sa[r.key] = deepFreeze(pyJsonLoads(r.value_json));
    const gp = sa[GRID_POINT_ATTR];
    const v = values[0];
    return Object.freeze({
      id: row.trial_id,
      number: row.number,
      state: stateOf(row.state, row.trial_id, this.#file),
      value: v ? loadFloat(v.value, v.value_type) : null,
      gridPoint: typeof gp === 'string' ? gp : '',
      params: Object.freeze(p) as unknown as Readonly<TrialParams>,
      distributions: Object.freeze(d),
      intermediate: new FrozenMap<number, number>(
        [...steps]
          .sort((a, b) => a.step - b.step)
          .map((s) => [s.step, loadFloat(s.intermediate_value, s.intermediate_value_type)] as const),
      ),
      userAttrs: Object.freeze(ua),
      systemAttrs: Object.freeze(sa),
      startedAt: parseUtc(row.datetime_start),
      completedAt: parseUtc(row.datetime_complete),
      heartbeatAt: parseUtc(heartbeat),
    });
  }

  #curve(row: TrialRow, params: readonly ParamRow[] = [], steps: readonly StepRow[] = []): TrialCurve {
    const p: Record<string, ParamValue> = {};
    for (const r of params) p[r.param_name] = this.#params.decode(r.distribution_json, r.param_value);
    return Object.freeze({
      id: row.trial_id,
      number: row.number,
      state: stateOf(row.state, row.trial_id, this.#file),
      params: Object.freeze(p) as unknown as Readonly<TrialParams>,
      intermediate: new FrozenMap<number, number>(
        [...steps]
          .sort((a, b) => a.step - b.step)
          .map((s) => [s.step, loadFloat(s.intermediate_value, s.intermediate_value_type)] as const),
      ),
    });
  }

  #readTrial(trialId: number): FrozenTrial {
    const s = this.#s;
    const row = this.#trialRow(trialId);
    const hb = s.heartbeatOf.get(trialId) as { heartbeat: string } | undefined;
    return this.#build(
      row,
      s.paramsOf.all(trialId) as ParamRow[],
      s.valuesOf.all(trialId) as ValueRow[],
      s.stepsOf.all(trialId) as StepRow[],
      s.userAttrsOf.all(trialId) as AttrRow[],
      s.systemAttrsOf.all(trialId) as AttrRow[],
      hb?.heartbeat ?? null,
    );
  }

  /** The trial's current state, checked against the one transition table. */
  #transition(trialId: number, to: TrialState): TrialRow {
    const row = this.#trialRow(trialId);
    assertTransition(trialId, stateOf(row.state, trialId, this.#file), to);
    return row;
  }

  #assertUpdatable(trialId: number, what: string): void {
    const row = this.#trialRow(trialId);
    assertUpdatable(trialId, stateOf(row.state, trialId, this.#file), what);
  }

  // Built once: better-sqlite3 transaction wrappers are cheap to call but not
  // to create, and claim/finish run thousands of times a second.
  private makeTransactions() {
    const db = this.#db;
    const s = this.#s;

    const openStudy = db.transaction(
      (name: string, systemAttrs: Record<string, JsonValue>, directions: readonly StudyDirection[]) => {
        const found = s.studyByName.get(name) as { study_id: number; study_name: string } | undefined;
        if (found) return found;
        const studyId = Number(s.insertStudy.run(name).lastInsertRowid);
        directions.forEach((d, objective) => s.insertDirection.run(d, studyId, objective));
        for (const [k, v] of Object.entries(systemAttrs)) s.upsertStudySystemAttr.run(studyId, k, pyJsonDumps(v));
        return { study_id: studyId, study_name: name };
      },
    );

    const deleteStudy = db.transaction((studyId: number) => {
      this.#assertStudy(studyId);
      // Children first: Optuna's schema has foreign keys without ON DELETE CASCADE.
      for (const stmt of s.deleteStudyRows) stmt.run(studyId);
    });

    const setStudySystemAttr = db.transaction((studyId: number, key: string, value: JsonValue) => {
      this.#assertStudy(studyId);
      s.upsertStudySystemAttr.run(studyId, key, pyJsonDumps(value));
    });

    const setStudyUserAttr = db.transaction((studyId: number, key: string, value: JsonValue) => {
      this.#assertStudy(studyId);
      s.upsertStudyUserAttr.run(studyId, key, pyJsonDumps(value));
    });

    const enqueue = db.transaction(
      (
        studyId: number,
        points: readonly GridPoint[],
        distributions: Record<string, readonly ParamValue[]>,
        opts: EnqueueOptions,
      ): EnqueueResult => {
        this.#assertStudy(studyId);
        // Only the trials of these points are read (O(points), whatever the study's size):
        // value_json is our own pyJsonDumps of the id, so the encoded id is the lookup key.
        const encoded = points.map((p) => pyJsonDumps(p.id));
        const ids = idsParam(encoded);
        const failures = opts.maxRetries === undefined ? null : this.#countedFailures(studyId, ids);
        // Points that still have (or had) a usable trial: only FAIL-only points run again
        // (and PRUNED-only ones when asked).
        const live = this.#livePoints(studyId, ids, opts.rerunPruned === true);
        const encoder = this.#encoders(distributions);
        let number = this.#nextNumber(studyId);
        let added = 0;
        let present = 0;
        let exhausted = 0;
        for (const [i, point] of points.entries()) {
          const key = encoded[i]!;
          if (live.has(key)) {
            present++;
            continue;
          }
          if (failures && (failures.get(key) ?? 0) > opts.maxRetries!) {
            exhausted++;
            continue;
          }
          live.add(key);
          const trialId = this.#insertWaitingTrial(studyId, number++, point.id);
          for (const [name, value] of Object.entries(point.params) as [string, ParamValue][]) {
            const e = encoder(name, `grid point ${point.id}`);
            s.insertParam.run(trialId, name, e.indexOf(value, `grid point ${point.id}`), e.json);
          }
          added++;
        }
        return failures ? { added, present, exhausted } : { added, present };
      },
    );

    const claim = db.transaction(
      (studyId: number, worker: string, accept?: (t: FrozenTrial) => boolean): FrozenTrial | null => {
        // Only trials with our grid point attribute: a trial Optuna enqueued has
        // none, and must never run here. `accept` skips more (see claimTrial).
        let after = -1;
        let trialId: number;
        for (;;) {
          const row = s.nextWaitingOfGrid.get(studyId, after) as { trial_id: number; number: number } | undefined;
          if (!row) return null;
          if (!accept || accept(this.#readTrial(row.trial_id))) {
            trialId = row.trial_id;
            break;
          }
          after = row.number;
        }
        assertTransition(trialId, TrialState.WAITING, TrialState.RUNNING);
        const now = this.#utcNow();
        s.setRunning.run(now, trialId);
        s.upsertHeartbeat.run(trialId, now);
        s.upsertTrialSystemAttr.run(trialId, WORKER_ATTR, pyJsonDumps(worker));
        return this.#readTrial(trialId);
      },
    );

    const heartbeat = db.transaction((trialId: number) => {
      if (s.heartbeatIfRunning.run(this.#utcNow(), trialId).changes === 0) this.#trialRow(trialId);
    });

    const failStale = db.transaction((studyId: number, staleSeconds: number, limits?: RetryLimits): number[] => {
      const stale = s.staleRunning.all(studyId, this.#utcSecondsAgo(staleSeconds)) as HeartbeatRow[];
      const points = stale.map(({ trial_id: trialId }) => {
        const gp = s.systemAttrOf.get(trialId, GRID_POINT_ATTR) as { value_json: string } | undefined;
        const point = gp ? pyJsonLoads(gp.value_json) : null;
        return typeof point === 'string' ? point : null;
      });
      const wanted = points.filter((p): p is string => p !== null).map((p) => pyJsonDumps(p));
      const failures =
        limits?.maxRetries === undefined || wanted.length === 0
          ? null
          : this.#countedFailures(studyId, idsParam(wanted));
      const now = this.#utcNow();
      let number = stale.length > 0 ? this.#nextNumber(studyId) : 0;
      for (const [i, { trial_id: trialId, heartbeat: last }] of stale.entries()) {
        this.#transition(trialId, TrialState.FAIL);
        s.finish.run('FAIL', now, trialId);
        s.upsertTrialUserAttr.run(
          trialId,
          'error',
          pyJsonDumps(`stale heartbeat: none since ${last} UTC, more than ${staleSeconds} s ago (process died?)`),
        );
        s.upsertTrialSystemAttr.run(trialId, FAIL_KIND_ATTR, pyJsonDumps('process' satisfies FailKind));
        // Its point runs again as a new trial; the FAIL trial stays as the record of what happened.
        const point = points[i];
        if (point == null) continue;
        if (failures && (failures.get(pyJsonDumps(point)) ?? 0) > limits!.maxRetries!) continue;
        const newId = this.#insertWaitingTrial(studyId, number++, point);
        s.copyParams.run(newId, trialId);
      }
      return stale.map((r) => r.trial_id);
    });

    const setIntermediate = db.transaction((trialId: number, step: number, value: number) => {
      this.#assertUpdatable(trialId, `intermediate value of step ${step}`);
      const [v, type] = storedFloat(value);
      s.upsertStep.run(trialId, step, v, type);
    });

    const setAttrs = db.transaction((trialId: number, attrs: Record<string, JsonValue>, system: boolean) => {
      this.#assertUpdatable(trialId, system ? 'system attributes' : 'user attributes');
      const stmt = system ? s.upsertTrialSystemAttr : s.upsertTrialUserAttr;
      for (const [k, v] of Object.entries(attrs)) if (v !== undefined) stmt.run(trialId, k, pyJsonDumps(v));
    });

    const finish = db.transaction((trialId: number, state: TrialState, value: number | null) => {
      this.#transition(trialId, state);
      if (value !== null) {
        const [v, type] = storedFloat(value);
        s.upsertValue.run(trialId, v, type);
      }
      s.finish.run(TRIAL_STATE_NAMES[state], this.#utcNow(), trialId);
    });

    const requeue = db.transaction((trialId: number) => {
      this.#transition(trialId, TrialState.WAITING);
      s.setWaiting.run(trialId);
      // The next run starts from epoch 1: a partial curve of the interrupted run
      // would mix with the new one. Attributes are overwritten by the new run.
      s.deleteSteps.run(trialId);
      s.deleteHeartbeat.run(trialId);
    });

    const importTrial = db.transaction((studyId: number, t: TrialImport): number => {
      this.#assertStudy(studyId);
      const number = this.#nextNumber(studyId);
      const at = (d: Date | null) => (d === null ? null : formatUtc(microsOf(d)));
      const trialId = Number(
        s.insertImported.run(number, studyId, TRIAL_STATE_NAMES[t.state], at(t.startedAt), at(t.completedAt))
          .lastInsertRowid,
      );
      if (t.value !== null) s.upsertValue.run(trialId, ...storedFloat(t.value));
      for (const [name, value] of Object.entries(t.params) as [string, ParamValue][]) {
        const e = this.#params.encodeImported(name, value, t.distributions[name]);
        s.insertParam.run(trialId, name, e.value, e.json);
      }
      for (const [step, value] of t.intermediate) s.upsertStep.run(trialId, step, ...storedFloat(value));
      for (const [k, v] of Object.entries(t.userAttrs)) s.upsertTrialUserAttr.run(trialId, k, pyJsonDumps(v));
      for (const [k, v] of Object.entries(t.systemAttrs)) s.upsertTrialSystemAttr.run(trialId, k, pyJsonDumps(v));
      return trialId;
    });

    // Reads: one deferred transaction each, so a multi-query snapshot is consistent.
    const getTrials = db.transaction((studyId: number, states: readonly TrialState[] | undefined): FrozenTrial[] => {
      let rows = s.trialsOf.all(studyId) as TrialRow[];
      if (states) {
        const wanted = new Set(states.map((st) => TRIAL_STATE_NAMES[st]));
        rows = rows.filter((r) => wanted.has(r.state));
        // A few trials (the RUNNING ones a monitor polls): per-trial reads beat loading the study.
        if (rows.length <= 32) return rows.map((r) => this.#readTrial(r.trial_id));
      }
      const params = groupBy(s.studyParams.all(studyId) as ParamRow[]);
      const values = groupBy(s.studyValues.all(studyId) as ValueRow[]);
      const steps = groupBy(s.studySteps.all(studyId) as StepRow[]);
      const ua = groupBy(s.studyTrialUserAttrs.all(studyId) as AttrRow[]);
      const sa = groupBy(s.studyTrialSystemAttrs.all(studyId) as AttrRow[]);
      const hb = new Map((s.studyHeartbeats.all(studyId) as HeartbeatRow[]).map((r) => [r.trial_id, r.heartbeat]));
      return rows.map((r) =>
        this.#build(
          r,
          params.get(r.trial_id),
          values.get(r.trial_id),
          steps.get(r.trial_id),
          ua.get(r.trial_id),
          sa.get(r.trial_id),
          hb.get(r.trial_id) ?? null,
        ),
      );
    });
    const getTrialCurves = db.transaction((studyId: number, states: readonly TrialState[]): TrialCurve[] => {
      const wanted = new Set(states.map((st) => TRIAL_STATE_NAMES[st]));
      const rows = (s.trialsOf.all(studyId) as TrialRow[]).filter((r) => wanted.has(r.state));
      const params = groupBy(s.studyParams.all(studyId) as ParamRow[]);
      const steps = groupBy(s.studySteps.all(studyId) as StepRow[]);
      return rows.map((r) => this.#curve(r, params.get(r.trial_id), steps.get(r.trial_id)));
    });
    const getTrial = db.transaction((trialId: number) => this.#readTrial(trialId));
    const listStudies = db.transaction(() =>
      (s.allStudies.all() as { study_id: number; study_name: string }[]).map((r) => this.#studySummary(r)),
    );
    const getStudy = db.transaction((name: string) => {
      const row = s.studyByName.get(name) as { study_id: number; study_name: string } | undefined;
      return row ? this.#studySummary(row) : null;
    });

    return {
      openStudy,
      deleteStudy,
      setStudySystemAttr,
      setStudyUserAttr,
      enqueue,
      claim,
      heartbeat,
      failStale,
      setIntermediate,
      setAttrs,
      finish,
      requeue,
      importTrial,
      getTrials,
      getTrialCurves,
      getTrial,
      listStudies,
      getStudy,
    };
  }

  // ---- Storage --------------------------------------------------------------

  /** BEGIN IMMEDIATE: takes the write lock first, as every write here does (see the top of this file). */
  begin(): void {
    this.#guard(() => this.#db.exec('BEGIN IMMEDIATE'));
  }

  /**
   * Ends what begin() opened. The per-method transactions called meanwhile
   * were savepoints of it (better-sqlite3 nests when one is open). A failed
   * COMMIT (a full disk) rolls back and throws.
   */
  end(commit: boolean): void {
    this.#guard(() => {
      if (!this.#db.inTransaction) return; // SQLite rolled back itself (an I/O error)
      if (!commit) {
        this.#db.exec('ROLLBACK');
        return;
      }
      try {
        this.#db.exec('COMMIT');
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  importTrial(studyId: number, trial: TrialImport): number {
    if (trial.state === TrialState.RUNNING) {
      throw new StorageError(
        'importTrial takes finished or WAITING trials, not a RUNNING one (no worker here runs it): finish or requeue it in its own storage first',
        this.#file,
      );
    }
    if (trial.state === TrialState.COMPLETE && (trial.value === null || Number.isNaN(trial.value))) {
      throw new StorageError(
        `importTrial: a COMPLETE trial needs a value that is a number (got ${trial.value})`,
        this.#file,
      );
    }
    return this.#guard(() => this.#tx.importTrial.immediate(studyId, trial));
  }

  openStudy(
    name: string,
    systemAttrs: Record<string, JsonValue>,
    directions: readonly StudyDirection[] = DEFAULT_DIRECTIONS,
  ): StudySummary {
    checkDirections(directions, this.#file);
    return this.#guard(() => {
      const row = this.#tx.openStudy.immediate(name, systemAttrs, directions);
      return this.#studySummary(row);
    });
  }

  getStudy(name: string): StudySummary | null {
    return this.#guard(() => this.#tx.getStudy(name));
  }

  listStudies(): StudySummary[] {
    return this.#guard(() => this.#tx.listStudies());
  }

  deleteStudy(studyId: number): void {
    this.#guard(() => this.#tx.deleteStudy.immediate(studyId));
  }

  setStudySystemAttr(studyId: number, key: string, value: JsonValue): void {
    this.#guard(() => this.#tx.setStudySystemAttr.immediate(studyId, key, value));
  }

  setStudyUserAttr(studyId: number, key: string, value: JsonValue): void {
    this.#guard(() => this.#tx.setStudyUserAttr.immediate(studyId, key, value));
  }

  enqueuePoints(
    studyId: number,
    points: readonly GridPoint[],
    distributions: Record<string, readonly ParamValue[]>,
    opts: EnqueueOptions = {},
  ): EnqueueResult {
    return this.#guard(() => this.#tx.enqueue.immediate(studyId, points, distributions, opts));
  }

  claimTrial(studyId: number, worker: string, accept?: (t: FrozenTrial) => boolean): FrozenTrial | null {
    return this.#guard(() => this.#tx.claim.immediate(studyId, worker, accept));
  }

  /** Records that the trial is alive. A no-op for a trial that is no longer RUNNING (a late timer tick). */
  heartbeat(trialId: number): void {
    this.#guard(() => this.#tx.heartbeat.immediate(trialId));
  }

  failStaleTrials(studyId: number, staleSeconds: number, limits?: RetryLimits): number[] {
    if (!(staleSeconds >= 0)) throw new RangeError(`staleSeconds must be >= 0, got ${staleSeconds}`);
    return this.#guard(() => this.#tx.failStale.immediate(studyId, staleSeconds, limits));
  }

  setIntermediateValue(trialId: number, step: number, value: number): void {
    if (!Number.isInteger(step) || step < 0) {
      throw new StorageError(
        `trial ${trialId}: intermediate value step must be an integer >= 0, got ${step}`,
        this.#file,
      );
    }
    this.#guard(() => this.#tx.setIntermediate.immediate(trialId, step, value));
  }

  setUserAttrs(trialId: number, attrs: Record<string, JsonValue>): void {
    this.#guard(() => this.#tx.setAttrs.immediate(trialId, attrs, false));
  }

  setSystemAttrs(trialId: number, attrs: Record<string, JsonValue>): void {
    this.#guard(() => this.#tx.setAttrs.immediate(trialId, attrs, true));
  }

  finishTrial(trialId: number, state: TrialState, value?: number | null): void {
    const v = value ?? null;
    if (!isFinished(state)) {
      throw new StorageError(
        `trial ${trialId}: finishTrial takes COMPLETE, PRUNED or FAIL, not ${TRIAL_STATE_NAMES[state] ?? state} (requeueTrial gives a trial back)`,
        this.#file,
      );
    }
    if (state === TrialState.COMPLETE && (v === null || Number.isNaN(v))) {
      throw new StorageError(
        `trial ${trialId}: a COMPLETE trial needs a value that is a number (got ${v}); finish it as FAIL instead`,
        this.#file,
      );
    }
    if (state === TrialState.PRUNED && v !== null && Number.isNaN(v)) {
      throw new StorageError(`trial ${trialId}: a PRUNED trial's value cannot be NaN; pass null instead`, this.#file);
    }
    if (state === TrialState.FAIL && v !== null) {
      throw new StorageError(
        `trial ${trialId}: a FAIL trial has no value (got ${v}); put the error in a user attribute`,
        this.#file,
      );
    }
    this.#guard(() => this.#tx.finish.immediate(trialId, state, v));
  }

  requeueTrial(trialId: number): void {
    this.#guard(() => this.#tx.requeue.immediate(trialId));
  }

  getTrial(trialId: number): FrozenTrial {
    return this.#guard(() => this.#tx.getTrial(trialId));
  }

  getTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[] {
    return this.#guard(() => this.#tx.getTrials(studyId, states));
  }

  getTrialCurves(studyId: number, states: readonly TrialState[]): TrialCurve[] {
    return this.#guard(() => this.#tx.getTrialCurves(studyId, states));
  }

  countTrials(studyId: number, which: TrialFilter = 'all'): Readonly<Record<TrialState, number>> {
    return this.#guard(() => {
      const counts: Record<TrialState, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 };
      const stmt =
        which === 'grid'
          ? this.#s.countGridByState
          : which === 'foreign'
            ? this.#s.countForeignByState
            : this.#s.countByState;
      for (const r of stmt.all(studyId) as { state: string; n: number }[]) {
        const st = trialStateFromName(r.state);
        if (st !== undefined) counts[st] = r.n;
      }
      return Object.freeze(counts);
    });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** The part of a connection that the async interface wraps method by method. */
type SyncCalls = Omit<Storage, 'location' | 'atomically' | 'close' | 'artifacts'>;
type Sync<F> = F extends (...a: infer A) => Promise<infer R> ? (...a: A) => R : never;
type SyncOf<T> = { [K in keyof T]: Sync<T[K]> };

/**
 * Who holds the connection: null, or the transaction an `atomically` has open
 * (`done` settles when it ends). Shared by a storage and its transaction views.
 */
interface Gate {
  held: { done: Promise<void> } | null;
}

/**
 * The async Storage over one connection. A call made while no transaction is
 * open runs synchronously at once; one made while `atomically` holds the
 * connection waits until that transaction ends, unless it comes through the
 * transaction's own `tx` view, which runs inside it.
 */
class SqliteStorage implements Storage {
  readonly location: string;
  readonly artifacts: ArtifactStore;
  readonly #c: SqliteConnection;
  readonly #gate: Gate;
  /** For a transaction view: whether its transaction is still open; null for the storage itself. */
  readonly #view: { open: boolean } | null;

  constructor(
    c: SqliteConnection,
    location: string,
    gate: Gate = { held: null },
    view: { open: boolean } | null = null,
  ) {
    this.#c = c;
    this.artifacts = c.artifacts;
    this.location = location;
    this.#gate = gate;
    this.#view = view;
  }

  /** Runs `op` now when the connection is free (or through the open transaction's view), else after the transaction. */
  #run<T>(op: () => T): Promise<T> {
    if (this.#view) {
      if (!this.#view.open) {
        return Promise.reject(
          new StorageError(
            'a call through the tx of an atomically that has ended: make it through the storage itself',
            this.location,
          ),
        );
      }
      return settle(op);
    }
    if (!this.#gate.held) return settle(op);
    return (async () => {
      while (this.#gate.held) await this.#gate.held.done;
      return op();
    })();
  }

  #call<K extends keyof SyncCalls>(
    name: K,
    ...args: Parameters<Sync<SyncCalls[K]>>
  ): Promise<ReturnType<Sync<SyncCalls[K]>>> {
    // Typed against the interface: a connection method that drifts from it fails to compile here.
    const c: SyncOf<SyncCalls> = this.#c;
    const f = c[name] as (...a: unknown[]) => ReturnType<Sync<SyncCalls[K]>>;
    return this.#run(() => f.apply(this.#c, args));
  }

  async atomically<T>(fn: (tx: Storage) => Promise<T>): Promise<T> {
    // Already inside one: the calls join it.
    if (this.#view) return this.#run(() => undefined).then(() => fn(this));
    while (this.#gate.held) await this.#gate.held.done;
    let release!: () => void;
    this.#gate.held = { done: new Promise<void>((r) => (release = r)) };
    const view = { open: true };
    try {
      this.#c.begin();
      let result: T;
      try {
        result = await fn(new SqliteStorage(this.#c, this.location, this.#gate, view));
      } catch (err) {
        view.open = false;
        this.#c.end(false);
        throw err;
      }
      view.open = false;
      this.#c.end(true);
      return result;
    } finally {
      view.open = false;
      this.#gate.held = null;
      release();
    }
  }

  openStudy(...a: Parameters<Storage['openStudy']>) {
    return this.#call('openStudy', ...a);
  }
  getStudy(...a: Parameters<Storage['getStudy']>) {
    return this.#call('getStudy', ...a);
  }
  listStudies() {
    return this.#call('listStudies');
  }
  setStudySystemAttr(...a: Parameters<Storage['setStudySystemAttr']>) {
    return this.#call('setStudySystemAttr', ...a);
  }
  setStudyUserAttr(...a: Parameters<Storage['setStudyUserAttr']>) {
    return this.#call('setStudyUserAttr', ...a);
  }
  deleteStudy(...a: Parameters<Storage['deleteStudy']>) {
    return this.#call('deleteStudy', ...a);
  }
  enqueuePoints(...a: Parameters<Storage['enqueuePoints']>) {
    return this.#call('enqueuePoints', ...a);
  }
  claimTrial(...a: Parameters<Storage['claimTrial']>) {
    return this.#call('claimTrial', ...a);
  }
  heartbeat(...a: Parameters<Storage['heartbeat']>) {
    return this.#call('heartbeat', ...a);
  }
  failStaleTrials(...a: Parameters<Storage['failStaleTrials']>) {
    return this.#call('failStaleTrials', ...a);
  }
  setIntermediateValue(...a: Parameters<Storage['setIntermediateValue']>) {
    return this.#call('setIntermediateValue', ...a);
  }
  setUserAttrs(...a: Parameters<Storage['setUserAttrs']>) {
    return this.#call('setUserAttrs', ...a);
  }
  setSystemAttrs(...a: Parameters<Storage['setSystemAttrs']>) {
    return this.#call('setSystemAttrs', ...a);
  }
  finishTrial(...a: Parameters<Storage['finishTrial']>) {
    return this.#call('finishTrial', ...a);
  }
  requeueTrial(...a: Parameters<Storage['requeueTrial']>) {
    return this.#call('requeueTrial', ...a);
  }
  importTrial(...a: Parameters<Storage['importTrial']>) {
    return this.#call('importTrial', ...a);
  }
  getTrial(...a: Parameters<Storage['getTrial']>) {
    return this.#call('getTrial', ...a);
  }
  getTrials(...a: Parameters<Storage['getTrials']>) {
    return this.#call('getTrials', ...a);
  }
  getTrialCurves(...a: Parameters<Storage['getTrialCurves']>) {
    return this.#call('getTrialCurves', ...a);
  }
  countTrials(...a: Parameters<Storage['countTrials']>) {
    return this.#call('countTrials', ...a);
  }

  /** Closes at once, for the quiet reader's switch to a live connection (no transaction is ever open on a reader). */
  closeNow(): void {
    this.#c.close();
  }

  close(): Promise<void> {
    if (this.#view)
      return Promise.reject(new StorageError('close the storage, not the tx of an atomically', this.location));
    return this.#run(() => this.#c.close());
  }
}

/** The result of a synchronous call as a settled promise: a throw becomes a rejection, never a synchronous throw. */
function settle<T>(op: () => T): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (err) {
    return Promise.reject(err);
  }
}

function prepare(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  const TRIAL_COLS = 'trial_id, number, study_id, state, datetime_start, datetime_complete';
  // Per-study bulk reads: trials by study index, then each child table by its
  // (trial_id, ...) unique index.
  const perStudy = (cols: string, table: string) =>
    p(`SELECT ${cols} FROM trials t JOIN ${table} x ON x.trial_id = t.trial_id WHERE t.study_id = ?`);
  return {
    studyByName: p('SELECT study_id, study_name FROM studies WHERE study_name = ?'),
    studyById: p('SELECT study_id FROM studies WHERE study_id = ?'),
    allStudies: p('SELECT study_id, study_name FROM studies ORDER BY study_id'),
    insertStudy: p('INSERT INTO studies (study_name) VALUES (?)'),
    deleteStudyRows: [
      ...STUDY_DELETE_ORDER.byTrial.map((table) =>
        p(`DELETE FROM ${table} WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)`),
      ),
      ...STUDY_DELETE_ORDER.byStudy.map((table) => p(`DELETE FROM ${table} WHERE study_id = ?`)),
    ],
    insertDirection: p('INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)'),
    upsertStudySystemAttr: p(
      'INSERT INTO study_system_attributes (study_id, "key", value_json) VALUES (?, ?, ?) ' +
        'ON CONFLICT (study_id, "key") DO UPDATE SET value_json = excluded.value_json',
    ),
    upsertStudyUserAttr: p(
      'INSERT INTO study_user_attributes (study_id, "key", value_json) VALUES (?, ?, ?) ' +
        'ON CONFLICT (study_id, "key") DO UPDATE SET value_json = excluded.value_json',
    ),
    studySystemAttrs: p('SELECT "key" AS key, value_json FROM study_system_attributes WHERE study_id = ?'),
    studyUserAttrs: p('SELECT "key" AS key, value_json FROM study_user_attributes WHERE study_id = ?'),
    studyDirections: p('SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective'),

    trialById: p(`SELECT ${TRIAL_COLS} FROM trials WHERE trial_id = ?`),
    trialsOf: p(`SELECT ${TRIAL_COLS} FROM trials WHERE study_id = ? ORDER BY number`),
    maxNumber: p('SELECT max(number) + 1 AS n FROM trials WHERE study_id = ?'),
    countByState: p('SELECT state, count(*) AS n FROM trials WHERE study_id = ? GROUP BY state'),
    insertTrial: p("INSERT INTO trials (number, study_id, state) VALUES (?, ?, 'WAITING')"),
    insertImported: p(
      'INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) VALUES (?, ?, ?, ?, ?)',
    ),
    nextWaitingOfGrid: p(
      'SELECT t.trial_id, t.number FROM trials t JOIN trial_system_attributes a ON a.trial_id = t.trial_id AND a."key" = \'' +
        GRID_POINT_ATTR +
        "' WHERE t.study_id = ? AND t.state = 'WAITING' AND t.number > ? ORDER BY t.number LIMIT 1",
    ),
    countGridByState: p(
      'SELECT t.state, count(*) AS n FROM trials t WHERE t.study_id = ? AND EXISTS ' +
        `(SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND a."key" = '${GRID_POINT_ATTR}') GROUP BY t.state`,
    ),
    countForeignByState: p(
      'SELECT t.state, count(*) AS n FROM trials t WHERE t.study_id = ? AND NOT EXISTS ' +
        `(SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND a."key" = '${GRID_POINT_ATTR}') GROUP BY t.state`,
    ),
    setRunning: p("UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ?"),
    setWaiting: p("UPDATE trials SET state = 'WAITING', datetime_start = NULL WHERE trial_id = ?"),
    finish: p('UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ?'),
    // The grid points (encoded ids, plucked) of a JSON array of encoded ids
    // (idsParam) that have a trial not FAIL (not FAIL or PRUNED). CROSS JOIN keeps json_each outermost, so each
    // id is one probe of the partial index iae_grid_point_attrs (schema.ts).
    livePoints: p(
      `SELECT DISTINCT a.value_json FROM json_each(?) j CROSS JOIN trial_system_attributes a ON a."key" = '${GRID_POINT_ATTR}' AND a.value_json = j.value ` +
        "CROSS JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = ? AND t.state != 'FAIL'",
    ).pluck(),
    livePointsNotPruned: p(
      `SELECT DISTINCT a.value_json FROM json_each(?) j CROSS JOIN trial_system_attributes a ON a."key" = '${GRID_POINT_ATTR}' AND a.value_json = j.value ` +
        "CROSS JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = ? AND t.state NOT IN ('FAIL', 'PRUNED')",
    ).pluck(),
    countedFailures: p(
      `SELECT g.value_json, COUNT(*) AS n FROM json_each(?) j CROSS JOIN trial_system_attributes g ON g."key" = '${GRID_POINT_ATTR}' AND g.value_json = j.value ` +
        'CROSS JOIN trials t ON t.trial_id = g.trial_id ' +
        `JOIN trial_system_attributes k ON k.trial_id = t.trial_id AND k."key" = '${FAIL_KIND_ATTR}' AND k.value_json = ? ` +
        "WHERE t.study_id = ? AND t.state = 'FAIL' GROUP BY g.value_json",
    ),
    insertParam: p(
      'INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)',
    ),
    copyParams: p(
      'INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) ' +
        'SELECT ?, param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ? ORDER BY param_id',
    ),
    paramsOf: p(
      'SELECT trial_id, param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ? ORDER BY param_id',
    ),
    valuesOf: p('SELECT trial_id, value, value_type FROM trial_values WHERE trial_id = ? AND objective = 0'),
    upsertValue: p(
      'INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?) ' +
        'ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, value_type = excluded.value_type',
    ),
    stepsOf: p(
      'SELECT trial_id, step, intermediate_value, intermediate_value_type FROM trial_intermediate_values WHERE trial_id = ?',
    ),
    upsertStep: p(
      'INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = excluded.intermediate_value, ' +
        'intermediate_value_type = excluded.intermediate_value_type',
    ),
    deleteSteps: p('DELETE FROM trial_intermediate_values WHERE trial_id = ?'),
    userAttrsOf: p('SELECT trial_id, "key" AS key, value_json FROM trial_user_attributes WHERE trial_id = ?'),
    systemAttrsOf: p('SELECT trial_id, "key" AS key, value_json FROM trial_system_attributes WHERE trial_id = ?'),
    systemAttrOf: p('SELECT value_json FROM trial_system_attributes WHERE trial_id = ? AND "key" = ?'),
    upsertTrialUserAttr: p(
      'INSERT INTO trial_user_attributes (trial_id, "key", value_json) VALUES (?, ?, ?) ' +
        'ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json',
    ),
    upsertTrialSystemAttr: p(
      'INSERT INTO trial_system_attributes (trial_id, "key", value_json) VALUES (?, ?, ?) ' +
        'ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json',
    ),

    heartbeatOf: p('SELECT heartbeat FROM trial_heartbeats WHERE trial_id = ?'),
    upsertHeartbeat: p(
      'INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, ?) ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat',
    ),
    // Inserts too: a RUNNING trial Optuna started may have no heartbeat row yet.
    heartbeatIfRunning: p(
      "INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, ? FROM trials WHERE trial_id = ? AND state = 'RUNNING' " +
        'ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat',
    ),
    deleteHeartbeat: p('DELETE FROM trial_heartbeats WHERE trial_id = ?'),
    staleRunning: p(
      'SELECT t.trial_id, h.heartbeat FROM trials t ' +
        "JOIN trial_heartbeats h ON h.trial_id = t.trial_id WHERE t.study_id = ? AND t.state = 'RUNNING' AND h.heartbeat < ? " +
        // Only our trials: one Optuna runs (its own heartbeat, its own grace period) is Optuna's to fail.
        `AND EXISTS (SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND a."key" = '${GRID_POINT_ATTR}') ORDER BY t.number`,
    ),

    studyParams: perStudy('x.trial_id, x.param_name, x.param_value, x.distribution_json', 'trial_params'),
    studyValues: perStudy('x.trial_id, x.value, x.value_type', 'trial_values'),
    studySteps: perStudy(
      'x.trial_id, x.step, x.intermediate_value, x.intermediate_value_type',
      'trial_intermediate_values',
    ),
    studyTrialUserAttrs: perStudy('x.trial_id, x."key" AS key, x.value_json', 'trial_user_attributes'),
    studyTrialSystemAttrs: perStudy('x.trial_id, x."key" AS key, x.value_json', 'trial_system_attributes'),
    studyHeartbeats: perStudy('x.trial_id, x.heartbeat', 'trial_heartbeats'),
  };
}

/**
 * Opens (creating when new) the study database at `path`. Refuses, with a
 * StorageError naming the file and the fix, anything that is not SQLite or not
 * Optuna's schema at revision v3.2.0.a.
 */
export function openSqliteStorage(path: string, opts: SqliteOpenOptions = {}): Storage {
  const readonly = opts.readonly === true;
  if (readonly && !existsSync(path)) {
    throw new StorageError(
      'no such database; a read-only (monitor) open needs the file a running study writes: check the --db path',
      path,
    );
  }
  return readonly ? quietReader(path, opts.clock) : openConnection(path, 'write', undefined, opts.clock);
}

const walOf = (path: string) => `${path}-wal`;

/**
 * A reader that leaves no -wal/-shm beside a file it only reads. SQLite
 * creates both for any connection to a WAL database, and a read-only one
 * cannot remove them again at close. While no -wal exists no writer has the
 * file open, and the main file holds every commit: it is read whole into
 * memory and queried there. Once a -wal appears (a sweep started), or if one
 * is there at the start, the reader is an ordinary read-only connection to the
 * file (the writer's files are there anyway), so it follows the writer live.
 */
function quietReader(path: string, clock?: () => number): Storage {
  let current = snapshotOrLive(path, clock);
  // The switch happens when a method is looked up, before it is called: a call
  // (async or not) then runs on the connection that follows the writer.
  return new Proxy(current.storage, {
    get(_target, prop) {
      if (current.snapshot && prop !== 'close' && existsSync(walOf(path))) {
        current.storage.closeNow();
        current = { storage: openConnection(path, 'read', undefined, clock), snapshot: false };
      }
      const v: unknown = Reflect.get(current.storage, prop, current.storage);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(current.storage) : v;
    },
  });
}

function snapshotOrLive(path: string, clock?: () => number): { storage: SqliteStorage; snapshot: boolean } {
  if (!existsSync(walOf(path))) {
    let image: Buffer | null = null;
    try {
      image = readFileSync(path);
    } catch {
      image = null; // unreadable here: the ordinary open reports why
    }
    // A writer that opened the file while it was read may have checkpointed into it: then read it live.
    if (image && !existsSync(walOf(path)))
      return { storage: openConnection(path, 'read', image, clock), snapshot: true };
  }
  return { storage: openConnection(path, 'read', undefined, clock), snapshot: false };
}

/**
 * One connection: `write` creates the file and schema as needed; `read` never
 * takes the write lock; with `image`, the file's bytes are queried in memory.
 */
function openConnection(path: string, mode: 'read' | 'write', image?: Buffer, clock?: () => number): SqliteStorage {
  const readonly = mode === 'read';
  if (!readonly) {
    try {
      makeDirs(dirname(path));
    } catch (err) {
      throw new StorageError(`cannot create the folder ${dirname(path)} (${(err as Error).message})`, path, {
        cause: err,
      });
    }
  }
  let db: Database.Database;
  try {
    // Bytes 18 and 19 of the header say WAL (2); an in-memory image must read as rollback-journal mode (1).
    if (image && image.length >= 100) image[18] = image[19] = 1;
    db = image
      ? new Database(image, { readonly: true })
      : new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (err) {
    const t = translate(err, path);
    throw t instanceof StorageError
      ? t
      : new StorageError(`cannot open the database (${(err as Error).message})`, path, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Inspect before any pragma that writes: a file we refuse (an older Optuna
    // revision, someone else's database) is left exactly as it was.
    const empty = inspectSchema(db, path).kind === 'empty';
    if (readonly) {
      // No journal_mode pragma: the writer set WAL, which is persistent in the
      // file, and a reader must never take the write lock. A file Optuna
      // created may lack our index: reads still work, the next writable open adds it.
      if (empty) throw new StorageError('the database is empty: no study has been written to it yet', path);
    } else {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new StorageError(
          `SQLite could not switch the database to WAL mode (got "${String(mode)}"); keep the file on a local disk (network file systems lack the shared memory WAL needs)`,
          path,
        );
      }
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // IMMEDIATE, and inspected again inside: two processes opening one new
      // file at once create the schema once.
      db.transaction(() => {
        if (inspectSchema(db, path).kind === 'empty') createSchema(db);
        else if (!hasOwnIndexes(db)) createOwnIndexes(db);
      }).immediate();
    }
    return new SqliteStorage(new SqliteConnection(db, path, clock), path);
  } catch (err) {
    db.close();
    throw translate(err, path);
  }
}
