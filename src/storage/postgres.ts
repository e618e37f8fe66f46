// The Storage interface on PostgreSQL in Optuna's schema (postgres-schema.ts),
// for studies that several hosts run at once.
//
// Concurrency: READ COMMITTED. A claim locks its WAITING trial with
// `SELECT ... FOR UPDATE SKIP LOCKED` in one transaction, so concurrent
// claimers take different trials without waiting on each other. Changes of a
// trial's state lock its row (FOR UPDATE) and check the transition against the
// one table (src/trial/state.ts), so a finish and a stale recovery cannot both
// win. Everything that inserts trials into a study (enqueue, stale recovery,
// import) holds a per-study advisory lock: numbers stay unique and a point is
// queued once even when two hosts enqueue at once.
//
// Clocks: heartbeats, staleness, start and completion times are the server's
// clock (`now() AT TIME ZONE 'UTC'`, naive UTC as Optuna stores them), never a
// host's: hosts' clocks disagree.
//
// Dropped connections (a server restart): reads and idempotent single-statement
// writes run again on a new connection, with backoff. A write transaction
// notes its transaction id first; when the connection drops during COMMIT the
// outcome is unknown to us, so after reconnecting we ask the server
// (txid_status): committed means done (a claim returns its trial, a finish is
// not finished twice), aborted means run it again. So a trial in flight is
// neither lost nor duplicated.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { StorageError } from '../errors/index.js';
import type { GridPoint, ParamValue } from '../grid/expand.js';
import { FAIL_KIND_ATTR, type FailKind } from '../trial/retries.js';
import {
  assertTransition,
  assertUpdatable,
  canTransition,
  isFinished,
  TRIAL_STATE_NAMES,
  TrialState,
} from '../trial/state.js';
import { artifactStore } from './postgres-artifacts.js';
import { isConnectionError, translate } from './postgres-errors.js';
import {
  buildStudy,
  GRID_POINT_ATTR,
  HAS_GRID_POINT,
  storedFloat,
  STUDY_SELECT,
  TRIAL_SELECT,
  CURVE_SELECT,
  type CurveRow,
  TrialDecoder,
  WORKER_ATTR,
  type StudyRow,
  type TrialRow,
} from './postgres-rows.js';
import { ensureSchema, inspectSchema, LOCK_STUDY_CLASS } from './postgres-schema.js';
import { STUDY_DELETE_ORDER } from './schema.js';
import { fallbackPassword, maskUrl, normalizeUrl, scrub, target, urlPassword } from './postgres-url.js';
import { categoricalJson } from './params.js';
import { checkDirections, DEFAULT_DIRECTIONS, type StudyDirection } from './directions.js';
import { pyJsonDumps, pyJsonLoads } from './pyjson.js';
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
import { formatUtc, microsOf, parseUtc } from './time.js';

export interface PostgresOpenOptions {
  /** Reading only (monitor, export): creates nothing, and the server refuses any write (default_transaction_read_only). */
  readonly readonly?: boolean;
  /** Connections this process keeps at most (default 4). */
  readonly poolSize?: number;
  /** Tries of an operation whose connection dropped, after the first (default 8: about 16 s of backoff). */
  readonly retries?: number;
  /** First backoff in ms, doubling up to 5 s (default 100). */
  readonly retryBaseMs?: number;
  /** Told of each retry after a dropped connection (for a log line); the message has the password masked. */
  readonly onRetry?: (info: { readonly attempt: number; readonly message: string }) => void;
}

const SERVER_NOW = "(now() AT TIME ZONE 'UTC')";
const TIMESTAMP_OID = 1114;

/** What the operations run statements on: a pooled connection, or the client of a transaction. */
interface Q {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

const names = new Map<string, string>();
/**
 * Statements with parameters run as named prepared statements (named after
 * their text, which is always one of ours): each connection parses and plans
 * a claim or a finish once, not per trial, which is most of their cost.
 */
function prepared(c: pg.ClientBase | pg.Pool): Q {
  return {
    query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      if (!values || values.length === 0) return c.query<R>(text);
      let name = names.get(text);
      if (name === undefined) {
        name = `iae_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
        names.set(text, name);
      }
      return c.query<R>({ name, text, values });
    },
  };
}

interface Shared {
  readonly pool: pg.Pool;
  /** The pool, running parameterized statements prepared. */
  readonly poolq: Q;
  readonly where: string;
  readonly secrets: readonly string[];
  readonly readonly: boolean;
  readonly retries: number;
  readonly retryBaseMs: number;
  readonly decoder: TrialDecoder;
  readonly onRetry: (attempt: number, err: unknown) => void;
  closed: boolean;
}

const ignore = () => {};
const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
const release = (client: pg.PoolClient, err?: Error) => {
  client.off('error', ignore);
  client.release(err);
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const backoff = (base: number, attempt: number) => Math.min(5000, base * 2 ** attempt);

/** Naive UTC text as the columns hold it (Date parameters would be sent in the host's zone), to the microsecond read. */
const naiveUtc = (d: Date | null) => (d === null ? null : formatUtc(microsOf(d)));

class PostgresStorage implements Storage {
  readonly location: string;
  readonly artifacts: ArtifactStore;
  readonly #sh: Shared;
  /** The client of an `atomically` transaction; null for the storage on the pool. */
  readonly #tx: Q | null;
  #savepoints = 0;

  constructor(shared: Shared, tx: Q | null) {
    this.#sh = shared;
    this.#tx = tx;
    this.location = shared.where;
    this.artifacts = artifactStore(
      (sql, params) => this.#run((c) => c.query(sql, params)),
      shared.where,
      shared.readonly,
    );
  }

  // ---- running statements ----------------------------------------------------

  #fail(err: unknown): never {
    throw translate(err, this.#sh.where, this.#sh.secrets);
  }

  /**
   * Inside `atomically`: a dropped connection goes up as it is, so the
   * transaction's own runner (#write on the pool) sees it and runs the whole
   * transaction again (or finds it committed); anything else is translated.
   */
  #failInTx(err: unknown): never {
    if (isConnectionError(err)) throw err;
    this.#fail(err);
  }

  #assertOpen(): void {
    if (this.#sh.closed) throw new StorageError('the storage is closed', this.#sh.where);
  }

  /**
   * A read, or a write that is one idempotent statement: inside a transaction
   * on its client; otherwise on any pooled connection, again on a new one when
   * the connection dropped.
   */
  async #run<T>(fn: (c: Q) => Promise<T>): Promise<T> {
    this.#assertOpen();
    if (this.#tx) {
      try {
        return await fn(this.#tx);
      } catch (err) {
        this.#failInTx(err);
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.#sh.poolq);
      } catch (err) {
        if (!isConnectionError(err) || attempt >= this.#sh.retries || this.#sh.closed) this.#fail(err);
        this.#sh.onRetry(attempt + 1, err);
        await sleep(backoff(this.#sh.retryBaseMs, attempt));
      }
    }
  }

  #refuseWrite(): void {
    if (this.#sh.readonly) {
      throw new StorageError(
        'cannot write: the storage was opened read-only (monitor, export); open it without readonly to write',
        this.#sh.where,
      );
    }
  }

  /**
   * A write transaction: all of `fn` or nothing. Inside `atomically` it is part
   * of that transaction (a savepoint when `savepoint`, so a failure undoes only
   * its own statements). Otherwise one pooled client, BEGIN ... COMMIT, with the
   * commit outcome checked after a dropped connection (see the file comment).
   */
  async #write<T>(fn: (c: Q) => Promise<T>, savepoint = false): Promise<T> {
    this.#assertOpen();
    this.#refuseWrite();
    if (this.#tx) {
      const tx = this.#tx;
      if (!savepoint) {
        try {
          return await fn(tx);
        } catch (err) {
          this.#failInTx(err);
        }
      }
      const name = `iae_sp${this.#savepoints++}`;
      try {
        await tx.query(`SAVEPOINT ${name}`);
        const r = await fn(tx);
        await tx.query(`RELEASE SAVEPOINT ${name}`);
        return r;
      } catch (err) {
        if (!isConnectionError(err)) await tx.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        this.#failInTx(err);
      }
    }
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | null = null;
      let xid: string | null = null;
      let result: T | undefined;
      let committing = false;
      try {
        client = await this.#checkout();
        const begun = (await client.query('BEGIN; SELECT txid_current()::text AS xid')) as unknown as pg.QueryResult<{
          xid: string;
        }>[];
        xid = begun[1].rows[0].xid;
        result = await fn(prepared(client));
        committing = true;
        await client.query('COMMIT');
        release(client);
        return result;
      } catch (err) {
        const dropped = isConnectionError(err);
        if (client) {
          if (!dropped) await client.query('ROLLBACK').catch(() => {});
          release(client, dropped ? (err as Error) : undefined);
        }
        if (!dropped || this.#sh.closed) this.#fail(err);
        // The reply to COMMIT was lost: the server knows whether it committed.
        if (committing && xid !== null && (await this.#committed(xid))) return result as T;
        if (attempt >= this.#sh.retries) this.#fail(err);
        this.#sh.onRetry(attempt + 1, err);
        await sleep(backoff(this.#sh.retryBaseMs, attempt));
      }
    }
  }

  /** A pooled client, with a listener for the error a dropped connection emits between queries (else: an uncaught error). */
  async #checkout(): Promise<pg.PoolClient> {
    const client = await this.#sh.pool.connect();
    client.on('error', ignore);
    return client;
  }

  /** Whether transaction `xid` committed, asked on a new connection once the server is back. */
  async #committed(xid: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.#sh.pool.query<{ s: string | null }>('SELECT txid_status($1::bigint) AS s', [xid]);
        const s = r.rows[0].s;
        if (s === 'committed') return true;
        if (s === 'aborted') return false;
        if (s === null)
          throw new StorageError(
            `cannot tell whether transaction ${xid} committed (too old); check the trial by hand`,
            this.#sh.where,
          );
        // 'in progress': the server has not yet noticed the dropped connection.
        if (attempt >= this.#sh.retries) {
          throw new StorageError(
            `cannot tell whether transaction ${xid} committed (still in progress on the server); check the trial by hand`,
            this.#sh.where,
          );
        }
      } catch (err) {
        if (err instanceof StorageError || !isConnectionError(err) || attempt >= this.#sh.retries) this.#fail(err);
      }
      await sleep(backoff(this.#sh.retryBaseMs, attempt));
    }
  }

  // ---- helpers (on a transaction's client) ------------------------------------

  async #trialsWhere(c: Q, where: string, params: unknown[]): Promise<FrozenTrial[]> {
    const r = await c.query<TrialRow>(`${TRIAL_SELECT} WHERE ${where}`, params);
    return r.rows.map((row) => this.#sh.decoder.build(row));
  }

  async #readTrial(c: Q, trialId: number): Promise<FrozenTrial> {
    const [t] = await this.#trialsWhere(c, 't.trial_id = $1', [trialId]);
    if (!t) throw new StorageError(`no trial with id ${trialId}`, this.#sh.where);
    return t;
  }

  /** Locks the trial's row and returns its state. */
  async #lockState(c: Q, trialId: number): Promise<TrialState> {
    const r = await c.query<{ state: string }>(
      'SELECT state::text AS state FROM trials WHERE trial_id = $1 FOR UPDATE',
      [trialId],
    );
    if (r.rows.length === 0) throw new StorageError(`no trial with id ${trialId}`, this.#sh.where);
    return this.#sh.decoder.state(r.rows[0].state, trialId);
  }

  async #assertStudy(c: Q, studyId: number): Promise<void> {
    const r = await c.query('SELECT 1 FROM studies WHERE study_id = $1', [studyId]);
    if (r.rowCount === 0) throw new StorageError(`no study with id ${studyId}`, this.#sh.where);
  }

  /** Serializes everything that adds trials to the study, until the transaction ends. */
  async #lockStudy(c: Q, studyId: number): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_STUDY_CLASS, studyId]);
  }

  async #nextNumber(c: Q, studyId: number): Promise<number> {
    const r = await c.query<{ n: number | null }>('SELECT max(number) + 1 AS n FROM trials WHERE study_id = $1', [
      studyId,
    ]);
    return r.rows[0].n ?? 0;
  }

  /**
   * FAIL trials per grid point that count against maxRetries (src/trial/retries.ts),
   * of the given points only (encoded ids: one probe of iae_grid_point_attrs each).
   */
  async #countedFailures(c: Q, studyId: number, encoded: readonly string[]): Promise<Map<string, number>> {
    // Per point a LATERAL aggregate, which the planner cannot flatten into a
    // join: so it is always one index probe per point (see #livePoints).
    const r = await c.query<{ value_json: string; n: number }>(
      'SELECT p.v AS value_json, x.n FROM unnest($3::text[]) AS p(v) CROSS JOIN LATERAL (' +
        'SELECT count(*)::int AS n FROM trial_system_attributes g JOIN trials t ON t.trial_id = g.trial_id ' +
        `JOIN trial_system_attributes k ON k.trial_id = t.trial_id AND k.key = '${FAIL_KIND_ATTR}' AND k.value_json = $2 ` +
        `WHERE g.key = '${GRID_POINT_ATTR}' AND g.value_json = p.v AND t.study_id = $1 AND t.state = 'FAIL') AS x WHERE x.n > 0`,
      [studyId, pyJsonDumps('trial' satisfies FailKind), [...new Set(encoded)]],
    );
    const out = new Map<string, number>();
    for (const row of r.rows) {
      const id = pyJsonLoads(row.value_json);
      if (typeof id === 'string') out.set(id, row.n);
    }
    return out;
  }

  /**
   * Which of the given points (encoded ids) have a trial not FAIL (nor PRUNED,
   * with rerunPruned): only their trials are read, O(points) whatever the
   * study's size. value_json is our own pyJsonDumps of the id, so the encoded
   * id is the key of the partial index iae_grid_point_attrs (postgres-schema.ts).
   * The LATERAL ... LIMIT 1 cannot be flattened into a join, so the plan is an
   * index probe per point even before the tables have statistics (a study
   * queued in one go: a hash join over every queued point would be chosen).
   */
  #livePoints(c: Q, studyId: number, keys: readonly string[], rerunPruned: boolean) {
    const excluded = rerunPruned ? "('FAIL', 'PRUNED')" : "('FAIL')";
    return c.query<{ value_json: string }>(
      'SELECT p.v AS value_json FROM unnest($2::text[]) AS p(v) CROSS JOIN LATERAL (' +
        'SELECT 1 FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id ' +
        `WHERE a.key = '${GRID_POINT_ATTR}' AND a.value_json = p.v AND t.study_id = $1 AND t.state NOT IN ${excluded} LIMIT 1) AS x`,
      [studyId, keys],
    );
  }

  /** Inserts WAITING trials with their grid point and params (several rows per statement); returns their ids in order. */
  async #insertWaiting(
    c: Q,
    studyId: number,
    firstNumber: number,
    trials: readonly { point: string; params: readonly [string, number, string][] }[],
  ): Promise<number[]> {
    if (trials.length === 0) return [];
    const numbers = trials.map((_, i) => firstNumber + i);
    const ins = await c.query<{ trial_id: number; number: number }>(
      "INSERT INTO trials (number, study_id, state) SELECT n, $2, 'WAITING' FROM unnest($1::int[]) WITH ORDINALITY AS u(n, i) ORDER BY i RETURNING trial_id, number",
      [numbers, studyId],
    );
    const idOf = new Map(ins.rows.map((r) => [r.number, r.trial_id]));
    const ids = numbers.map((n) => idOf.get(n)!);
    await c.query(
      `INSERT INTO trial_system_attributes (trial_id, key, value_json) SELECT id, '${GRID_POINT_ATTR}', v FROM unnest($1::int[], $2::text[]) AS u(id, v)`,
      [ids, trials.map((t) => pyJsonDumps(t.point))],
    );
    const pIds: number[] = [];
    const pNames: string[] = [];
    const pValues: number[] = [];
    const pDists: string[] = [];
    trials.forEach((t, i) => {
      for (const [name, value, dist] of t.params) {
        pIds.push(ids[i]);
        pNames.push(name);
        pValues.push(value);
        pDists.push(dist);
      }
    });
    if (pIds.length > 0) {
      await c.query(
        'INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) ' +
          'SELECT id, name, value, dist FROM unnest($1::int[], $2::text[], $3::float8[], $4::text[]) WITH ORDINALITY AS u(id, name, value, dist, i) ORDER BY i',
        [pIds, pNames, pValues, pDists],
      );
    }
    return ids;
  }

  async #upsertAttrs(
    c: Q,
    table: 'trial_user_attributes' | 'trial_system_attributes',
    trialId: number,
    attrs: Record<string, JsonValue>,
  ): Promise<void> {
    const entries = Object.entries(attrs).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await c.query(
      `INSERT INTO ${table} (trial_id, key, value_json) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u(k, v) ` +
        'ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json',
      [trialId, entries.map(([k]) => k), entries.map(([, v]) => pyJsonDumps(v))],
    );
  }

  // ---- studies ------------------------------------------------------------------

  async openStudy(
    name: string,
    systemAttrs: Record<string, JsonValue>,
    directions: readonly StudyDirection[] = DEFAULT_DIRECTIONS,
  ): Promise<StudySummary> {
    checkDirections(directions, this.#sh.where);
    if (this.#sh.readonly) {
      const found = await this.getStudy(name);
      if (found) return found;
    }
    return this.#write(async (c) => {
      // ON CONFLICT: two hosts opening one new study at once create it once.
      const ins = await c.query<{ study_id: number }>(
        'INSERT INTO studies (study_name) VALUES ($1) ON CONFLICT (study_name) DO NOTHING RETURNING study_id',
        [name],
      );
      if (ins.rows.length === 1) {
        const studyId = ins.rows[0].study_id;
        await c.query(
          'INSERT INTO study_directions (direction, study_id, objective) SELECT d::studydirection, $1, o - 1 FROM unnest($2::text[]) WITH ORDINALITY AS t(d, o)',
          [studyId, directions],
        );
        for (const [k, v] of Object.entries(systemAttrs)) {
          if (v === undefined) continue;
          await c.query('INSERT INTO study_system_attributes (study_id, key, value_json) VALUES ($1, $2, $3)', [
            studyId,
            k,
            pyJsonDumps(v),
          ]);
        }
      }
      const r = await c.query<StudyRow>(`${STUDY_SELECT} WHERE s.study_name = $1`, [name]);
      return buildStudy(r.rows[0], this.#sh.where);
    });
  }

  async getStudy(name: string): Promise<StudySummary | null> {
    const r = await this.#run((c) => c.query<StudyRow>(`${STUDY_SELECT} WHERE s.study_name = $1`, [name]));
    return r.rows[0] ? buildStudy(r.rows[0], this.#sh.where) : null;
  }

  async listStudies(): Promise<StudySummary[]> {
    const r = await this.#run((c) => c.query<StudyRow>(`${STUDY_SELECT} ORDER BY s.study_id`));
    return r.rows.map((row) => buildStudy(row, this.#sh.where));
  }

  async setStudySystemAttr(studyId: number, key: string, value: JsonValue): Promise<void> {
    this.#refuseWrite();
    const r = await this.#run((c) =>
      c.query(
        'INSERT INTO study_system_attributes (study_id, key, value_json) SELECT study_id, $2, $3 FROM studies WHERE study_id = $1 ' +
          'ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json',
        [studyId, key, pyJsonDumps(value)],
      ),
    );
    if (r.rowCount === 0) throw new StorageError(`no study with id ${studyId}`, this.#sh.where);
  }

  async setStudyUserAttr(studyId: number, key: string, value: JsonValue): Promise<void> {
    this.#refuseWrite();
    const r = await this.#run((c) =>
      c.query(
        'INSERT INTO study_user_attributes (study_id, key, value_json) SELECT study_id, $2, $3 FROM studies WHERE study_id = $1 ' +
          'ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json',
        [studyId, key, pyJsonDumps(value)],
      ),
    );
    if (r.rowCount === 0) throw new StorageError(`no study with id ${studyId}`, this.#sh.where);
  }

  async deleteStudy(studyId: number): Promise<void> {
    await this.#write(async (c) => {
      await this.#assertStudy(c, studyId);
      await this.#lockStudy(c, studyId);
      // Children first: Optuna's schema has foreign keys without ON DELETE CASCADE.
      for (const table of STUDY_DELETE_ORDER.byTrial) {
        await c.query(`DELETE FROM ${table} WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)`, [
          studyId,
        ]);
      }
      for (const table of STUDY_DELETE_ORDER.byStudy) {
        await c.query(`DELETE FROM ${table} WHERE study_id = $1`, [studyId]);
      }
    });
  }

  // ---- the queue ------------------------------------------------------------------

  async enqueuePoints(
    studyId: number,
    points: readonly GridPoint[],
    distributions: Record<string, readonly ParamValue[]>,
    opts: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    // Encoded and checked before anything is written: a bad point adds nothing.
    const encoders = new Map<string, { json: string; index: Map<ParamValue, number> }>();
    const encode = (point: GridPoint): [string, number, string][] =>
      (Object.entries(point.params) as [string, ParamValue][]).map(([name, value]) => {
        let e = encoders.get(name);
        if (!e) {
          const choices = distributions[name];
          if (!choices) {
            throw new StorageError(
              `grid point ${point.id} has param "${name}" but the distributions given to enqueuePoints have no choices for it`,
              this.#sh.where,
            );
          }
          // distribution_to_json of optuna/distributions.py
          e = {
            json: categoricalJson(choices),
            index: new Map(choices.map((ch, i) => [ch, i])),
          };
          encoders.set(name, e);
        }
        const index = e.index.get(value);
        if (index === undefined) {
          throw new StorageError(
            `grid point ${point.id}: ${name}=${JSON.stringify(value)} is not among its choices ${e.json}`,
            this.#sh.where,
          );
        }
        return [name, index, e.json];
      });
    const encoded = points.map((p) => ({ point: p.id, params: encode(p) }));
    return this.#write(async (c) => {
      await this.#assertStudy(c, studyId);
      await this.#lockStudy(c, studyId);
      // Under the study lock: a concurrent enqueue of the same points waits, then sees these.
      const keys = [...new Set(encoded.map((e) => pyJsonDumps(e.point)))];
      const failures = opts.maxRetries === undefined ? null : await this.#countedFailures(c, studyId, keys);
      const liveRows = await this.#livePoints(c, studyId, keys, opts.rerunPruned === true);
      const live = new Set<string>();
      for (const r of liveRows.rows) {
        const id = pyJsonLoads(r.value_json);
        if (typeof id === 'string') live.add(id);
      }
      let present = 0;
      let exhausted = 0;
      const add: typeof encoded = [];
      for (const e of encoded) {
        if (live.has(e.point)) {
          present++;
          continue;
        }
        if (failures && (failures.get(e.point) ?? 0) > opts.maxRetries!) {
          exhausted++;
          continue;
        }
        live.add(e.point);
        add.push(e);
      }
      await this.#insertWaiting(c, studyId, await this.#nextNumber(c, studyId), add);
      return failures ? { added: add.length, present, exhausted } : { added: add.length, present };
    });
  }

  async claimTrial(studyId: number, worker: string, accept?: (t: FrozenTrial) => boolean): Promise<FrozenTrial | null> {
    // The one transition a claim makes, against the one table (the statement below selects WAITING rows only).
    assertTransition(-1, TrialState.WAITING, TrialState.RUNNING);
    // Only trials with our grid point attribute: a trial Optuna enqueued has
    // none and must never run here. SKIP LOCKED: a trial another host is
    // claiming right now is passed over, not waited for.
    const candidate =
      "SELECT t.trial_id, t.number FROM trials t WHERE t.study_id = $1 AND t.state = 'WAITING' AND t.number > $2 " +
      `AND ${HAS_GRID_POINT} ORDER BY t.number LIMIT 1 FOR UPDATE OF t SKIP LOCKED`;
    // WAITING -> RUNNING with start and first heartbeat at the server's clock, and the worker.
    const take = (from: string, select = 'SELECT trial_id FROM u') =>
      `WITH c AS (${from}), ` +
      `u AS (UPDATE trials SET state = 'RUNNING', datetime_start = ${SERVER_NOW} FROM c WHERE trials.trial_id = c.trial_id RETURNING trials.trial_id, trials.datetime_start), ` +
      'h AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, datetime_start FROM u ' +
      'ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat), ' +
      `w AS (INSERT INTO trial_system_attributes (trial_id, key, value_json) SELECT trial_id, '${WORKER_ATTR}', $3 FROM u ` +
      'ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json) ' +
      select;
    // The claimed trial read in the same statement (one round trip fewer per
    // claim). The main query sees the rows as they were before the statement
    // (a CTE's writes are invisible to it), so the claim's own writes are
    // applied to what it read (see below). c.xmin is the version the claim
    // locked, t.xmin the one read: they differ only when another transaction
    // changed the trial after this statement's snapshot (it was claimed and
    // requeued meanwhile); then it is read again, as before.
    const takeAndRead =
      `SELECT u.datetime_start AS claimed_at, (c.xmin = t.xmin) AS same_version, ${TRIAL_SELECT.slice('SELECT '.length)} ` +
      'JOIN u ON u.trial_id = t.trial_id JOIN c ON c.trial_id = t.trial_id';
    const locked = candidate.replace('SELECT t.trial_id, t.number FROM', 'SELECT t.trial_id, t.number, t.xmin FROM');
    return this.#write(async (c) => {
      if (!accept) {
        // One statement: pick, lock and take the oldest free trial, and read it.
        const r = await c.query<TrialRow & { claimed_at: Date; same_version: boolean }>(take(locked, takeAndRead), [
          studyId,
          -1,
          pyJsonDumps(worker),
        ]);
        const row = r.rows[0];
        if (!row) return null;
        if (!row.same_version) return this.#readTrial(c, row.trial_id);
        const sa = (row.sa ?? []).filter(([k]) => k !== WORKER_ATTR);
        sa.push([WORKER_ATTR, pyJsonDumps(worker)]);
        return this.#sh.decoder.build({
          ...row,
          state: 'RUNNING',
          datetime_start: row.claimed_at,
          heartbeat: row.claimed_at,
          sa,
        });
      }
      let after = -1;
      for (let i = 0; ; i++) {
        // A savepoint per candidate `accept` may reject: rolling back to it
        // releases the row lock, so another host can still take that trial.
        await c.query(`SAVEPOINT iae_claim${i}`);
        const r = await c.query<{ trial_id: number; number: number }>(candidate, [studyId, after]);
        const row = r.rows[0];
        if (!row) return null;
        if (!accept(await this.#readTrial(c, row.trial_id))) {
          await c.query(`ROLLBACK TO SAVEPOINT iae_claim${i}`);
          after = row.number;
          continue;
        }
        // Locked by us already: the same statement takes exactly this row.
        await c.query(take('SELECT $1::int AS trial_id, $2::int AS number'), [
          row.trial_id,
          row.number,
          pyJsonDumps(worker),
        ]);
        return this.#readTrial(c, row.trial_id);
      }
    });
  }

  /** Records that the trial is alive (server clock). A no-op for a trial that is no longer RUNNING (a late timer tick). */
  async heartbeat(trialId: number): Promise<void> {
    this.#refuseWrite();
    // Inserts too: a RUNNING trial Optuna started may have no heartbeat row yet.
    const r = await this.#run((c) =>
      c.query(
        `INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, ${SERVER_NOW} FROM trials WHERE trial_id = $1 AND state = 'RUNNING' ` +
          'ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat',
        [trialId],
      ),
    );
    if (r.rowCount === 0) {
      const t = await this.#run((c) => c.query('SELECT 1 FROM trials WHERE trial_id = $1', [trialId]));
      if (t.rowCount === 0) throw new StorageError(`no trial with id ${trialId}`, this.#sh.where);
    }
  }

  async failStaleTrials(studyId: number, staleSeconds: number, limits?: RetryLimits): Promise<number[]> {
    if (!(staleSeconds >= 0)) throw new RangeError(`staleSeconds must be >= 0, got ${staleSeconds}`);
    return this.#write(async (c) => {
      await this.#lockStudy(c, studyId);
      // FOR UPDATE OF t: a trial finished meanwhile by its host drops out (its state is read again after the lock).
      const stale = await c.query<{ trial_id: number; last: string }>(
        "SELECT t.trial_id, to_char(h.heartbeat, 'YYYY-MM-DD HH24:MI:SS.US') AS last FROM trials t " +
          "JOIN trial_heartbeats h ON h.trial_id = t.trial_id WHERE t.study_id = $1 AND t.state = 'RUNNING' " +
          `AND h.heartbeat < ${SERVER_NOW} - make_interval(secs => $2) ` +
          // Only our trials: one Optuna runs (its own heartbeat, its own grace period) is Optuna's to fail.
          `AND ${HAS_GRID_POINT} ORDER BY t.number FOR UPDATE OF t`,
        [studyId, staleSeconds],
      );
      if (stale.rows.length === 0) return [];
      // Their grid points (encoded ids), for the retry count and the requeue.
      const gps = await c.query<{ trial_id: number; value_json: string }>(
        `SELECT trial_id, value_json FROM trial_system_attributes WHERE trial_id = ANY($1::int[]) AND key = '${GRID_POINT_ATTR}'`,
        [stale.rows.map((r) => r.trial_id)],
      );
      const pointOf = new Map(gps.rows.map((r) => [r.trial_id, r.value_json]));
      const failures =
        limits?.maxRetries === undefined
          ? null
          : await this.#countedFailures(c, studyId, [...new Set(pointOf.values())]);
      let number = await this.#nextNumber(c, studyId);
      for (const { trial_id: trialId, last } of stale.rows) {
        assertTransition(trialId, TrialState.RUNNING, TrialState.FAIL);
        await c.query(`UPDATE trials SET state = 'FAIL', datetime_complete = ${SERVER_NOW} WHERE trial_id = $1`, [
          trialId,
        ]);
        await this.#upsertAttrs(c, 'trial_user_attributes', trialId, {
          error: `stale heartbeat: none since ${last} UTC, more than ${staleSeconds} s ago (process died?)`,
        });
        await this.#upsertAttrs(c, 'trial_system_attributes', trialId, {
          [FAIL_KIND_ATTR]: 'process' satisfies FailKind,
        });
        // Its point runs again as a new trial; the FAIL trial stays as the record of what happened.
        const gp = pointOf.get(trialId);
        const point = gp === undefined ? null : pyJsonLoads(gp);
        if (typeof point !== 'string') continue;
        if (failures && (failures.get(point) ?? 0) > limits!.maxRetries!) continue;
        const [newId] = await this.#insertWaiting(c, studyId, number++, [{ point, params: [] }]);
        await c.query(
          'INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) ' +
            'SELECT $1, param_name, param_value, distribution_json FROM trial_params WHERE trial_id = $2 ORDER BY param_id',
          [newId, trialId],
        );
      }
      return stale.rows.map((r) => r.trial_id);
    });
  }

  // ---- one trial ----------------------------------------------------------------

  async setIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    if (!Number.isInteger(step) || step < 0) {
      throw new StorageError(
        `trial ${trialId}: intermediate value step must be an integer >= 0, got ${step}`,
        this.#sh.where,
      );
    }
    this.#refuseWrite();
    const [v, type] = storedFloat(value);
    // One statement (so a retry is harmless): writes only while the trial is unfinished (its row locked meanwhile).
    const r = await this.#run((c) =>
      c.query<{ state: string }>(
        'WITH t AS (SELECT trial_id, state FROM trials WHERE trial_id = $1 FOR SHARE), ' +
          'i AS (INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) ' +
          "SELECT trial_id, $2, $3, $4::trialintermediatevaluetype FROM t WHERE t.state IN ('RUNNING', 'WAITING') " +
          'ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = excluded.intermediate_value, intermediate_value_type = excluded.intermediate_value_type) ' +
          'SELECT state::text AS state FROM t',
        [trialId, step, v, type],
      ),
    );
    this.#checkUpdatable(trialId, r.rows[0]?.state, `intermediate value of step ${step}`);
  }

  #checkUpdatable(trialId: number, state: string | undefined, what: string): void {
    if (state === undefined) throw new StorageError(`no trial with id ${trialId}`, this.#sh.where);
    assertUpdatable(trialId, this.#sh.decoder.state(state, trialId), what);
  }

  async #setAttrs(trialId: number, attrs: Record<string, JsonValue>, system: boolean): Promise<void> {
    this.#refuseWrite();
    const table = system ? 'trial_system_attributes' : 'trial_user_attributes';
    const entries = Object.entries(attrs).filter(([, v]) => v !== undefined);
    const r = await this.#run((c) =>
      c.query<{ state: string }>(
        'WITH t AS (SELECT trial_id, state FROM trials WHERE trial_id = $1 FOR SHARE), ' +
          `i AS (INSERT INTO ${table} (trial_id, key, value_json) SELECT t.trial_id, k, v FROM t, unnest($2::text[], $3::text[]) AS u(k, v) ` +
          "WHERE t.state IN ('RUNNING', 'WAITING') ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json) " +
          'SELECT state::text AS state FROM t',
        [trialId, entries.map(([k]) => k), entries.map(([, v]) => pyJsonDumps(v))],
      ),
    );
    this.#checkUpdatable(trialId, r.rows[0]?.state, system ? 'system attributes' : 'user attributes');
  }

  setUserAttrs(trialId: number, attrs: Record<string, JsonValue>): Promise<void> {
    return this.#setAttrs(trialId, attrs, false);
  }

  setSystemAttrs(trialId: number, attrs: Record<string, JsonValue>): Promise<void> {
    return this.#setAttrs(trialId, attrs, true);
  }

  async finishTrial(trialId: number, state: TrialState, value?: number | null): Promise<void> {
    const v = value ?? null;
    const where = this.#sh.where;
    if (!isFinished(state)) {
      throw new StorageError(
        `trial ${trialId}: finishTrial takes COMPLETE, PRUNED or FAIL, not ${TRIAL_STATE_NAMES[state] ?? state} (requeueTrial gives a trial back)`,
        where,
      );
    }
    if (state === TrialState.COMPLETE && (v === null || Number.isNaN(v))) {
      throw new StorageError(
        `trial ${trialId}: a COMPLETE trial needs a value that is a number (got ${v}); finish it as FAIL instead`,
        where,
      );
    }
    if (state === TrialState.PRUNED && v !== null && Number.isNaN(v)) {
      throw new StorageError(`trial ${trialId}: a PRUNED trial's value cannot be NaN; pass null instead`, where);
    }
    if (state === TrialState.FAIL && v !== null) {
      throw new StorageError(
        `trial ${trialId}: a FAIL trial has no value (got ${v}); put the error in a user attribute`,
        where,
      );
    }
    const [fv, type] = v === null ? [null, null] : storedFloat(v);
    // The states `state` may be reached from, from the one transition table: the statement writes only from those.
    const from = (Object.values(TrialState) as TrialState[])
      .filter((f) => canTransition(f, state))
      .map((f) => TRIAL_STATE_NAMES[f]);
    await this.#write(async (c) => {
      // One statement (one round trip): lock the row, write value and state only from an allowed state.
      const r = await c.query<{ state: string }>(
        'WITH t AS (SELECT trial_id, state FROM trials WHERE trial_id = $1 FOR UPDATE), ' +
          'ok AS (SELECT trial_id FROM t WHERE t.state = ANY($5::trialstate[])), ' +
          'v AS (INSERT INTO trial_values (trial_id, objective, value, value_type) SELECT trial_id, 0, $3, $4::text::trialvaluetype FROM ok WHERE $4::text IS NOT NULL ' +
          'ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, value_type = excluded.value_type), ' +
          `u AS (UPDATE trials SET state = $2::trialstate, datetime_complete = ${SERVER_NOW} WHERE trial_id IN (SELECT trial_id FROM ok)) ` +
          'SELECT state::text AS state FROM t',
        [trialId, TRIAL_STATE_NAMES[state], fv, type, from],
      );
      if (r.rows.length === 0) throw new StorageError(`no trial with id ${trialId}`, where);
      // Nothing was written unless this passes (the statement checked the same table).
      assertTransition(trialId, this.#sh.decoder.state(r.rows[0].state, trialId), state);
    });
  }

  async requeueTrial(trialId: number): Promise<void> {
    await this.#write(async (c) => {
      assertTransition(trialId, await this.#lockState(c, trialId), TrialState.WAITING);
      // The next run starts from epoch 1: a partial curve of the interrupted run
      // would mix with the new one. Attributes are overwritten by the new run.
      await c.query(
        'WITH s AS (DELETE FROM trial_intermediate_values WHERE trial_id = $1), h AS (DELETE FROM trial_heartbeats WHERE trial_id = $1) ' +
          "UPDATE trials SET state = 'WAITING', datetime_start = NULL WHERE trial_id = $1",
        [trialId],
      );
    });
  }

  async importTrial(studyId: number, trial: TrialImport): Promise<number> {
    const where = this.#sh.where;
    if (trial.state === TrialState.RUNNING) {
      throw new StorageError(
        'importTrial takes finished or WAITING trials, not a RUNNING one (no worker here runs it): finish or requeue it in its own storage first',
        where,
      );
    }
    if (trial.state === TrialState.COMPLETE && (trial.value === null || Number.isNaN(trial.value))) {
      throw new StorageError(
        `importTrial: a COMPLETE trial needs a value that is a number (got ${trial.value})`,
        where,
      );
    }
    const params = (Object.entries(trial.params) as [string, ParamValue][]).map(
      ([name, value]): [string, number, string] => {
        const e = this.#sh.decoder.params.encodeImported(name, value, trial.distributions[name]);
        return [name, e.value, e.json];
      },
    );
    return this.#write(async (c) => {
      await this.#assertStudy(c, studyId);
      await this.#lockStudy(c, studyId);
      const number = await this.#nextNumber(c, studyId);
      const ins = await c.query<{ trial_id: number }>(
        'INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) VALUES ($1, $2, $3::trialstate, $4::timestamp, $5::timestamp) RETURNING trial_id',
        [number, studyId, TRIAL_STATE_NAMES[trial.state], naiveUtc(trial.startedAt), naiveUtc(trial.completedAt)],
      );
      const trialId = ins.rows[0].trial_id;
      for (const [name, value, dist] of params) {
        await c.query(
          'INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4)',
          [trialId, name, value, dist],
        );
      }
      if (trial.value !== null) {
        const [fv, type] = storedFloat(trial.value);
        await c.query(
          'INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ($1, 0, $2, $3::trialvaluetype)',
          [trialId, fv, type],
        );
      }
      for (const [step, value] of trial.intermediate) {
        const [fv, type] = storedFloat(value);
        await c.query(
          'INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES ($1, $2, $3, $4::trialintermediatevaluetype)',
          [trialId, step, fv, type],
        );
      }
      await this.#upsertAttrs(c, 'trial_user_attributes', trialId, trial.userAttrs);
      await this.#upsertAttrs(c, 'trial_system_attributes', trialId, trial.systemAttrs);
      return trialId;
    });
  }

  async atomically<T>(fn: (tx: Storage) => Promise<T>): Promise<T> {
    if (this.#tx) return this.#write(() => fn(this), true);
    return this.#write((client) => fn(new PostgresStorage(this.#sh, client)));
  }

  // ---- reads ------------------------------------------------------------------------

  getTrial(trialId: number): Promise<FrozenTrial> {
    return this.#run((c) => this.#readTrial(c, trialId));
  }

  getTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    if (states) {
      return this.#run((c) =>
        this.#trialsWhere(c, 't.study_id = $1 AND t.state = ANY($2::trialstate[]) ORDER BY t.number', [
          studyId,
          states.map((s) => TRIAL_STATE_NAMES[s]),
        ]),
      );
    }
    return this.#run((c) => this.#trialsWhere(c, 't.study_id = $1 ORDER BY t.number', [studyId]));
  }

  getTrialCurves(studyId: number, states: readonly TrialState[]): Promise<TrialCurve[]> {
    return this.#run(async (c) => {
      const r = await c.query<CurveRow>(
        `${CURVE_SELECT} WHERE t.study_id = $1 AND t.state = ANY($2::trialstate[]) ORDER BY t.number`,
        [studyId, states.map((s) => TRIAL_STATE_NAMES[s])],
      );
      return r.rows.map((row) => this.#sh.decoder.curve(row));
    });
  }

  async countTrials(studyId: number, which: TrialFilter = 'all'): Promise<Readonly<Record<TrialState, number>>> {
    const filter =
      which === 'grid' ? ` AND ${HAS_GRID_POINT}` : which === 'foreign' ? ` AND NOT ${HAS_GRID_POINT}` : '';
    const r = await this.#run((c) =>
      c.query<{ state: string; n: number }>(
        `SELECT t.state::text AS state, count(*)::int AS n FROM trials t WHERE t.study_id = $1${filter} GROUP BY t.state`,
        [studyId],
      ),
    );
    const counts: Record<TrialState, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 };
    for (const row of r.rows) counts[this.#sh.decoder.state(row.state, studyId)] = row.n;
    return Object.freeze(counts);
  }

  async close(): Promise<void> {
    // The storage of an `atomically` transaction does not own the pool.
    if (this.#tx || this.#sh.closed) return;
    this.#sh.closed = true;
    await this.#sh.pool.end();
  }
}

/** Reads TIMESTAMP WITHOUT TIME ZONE as the naive UTC it is (pg's default reads it in the host's zone). */
function typeParser(oid: number, format?: string): (v: string) => unknown {
  if (oid === TIMESTAMP_OID && format !== 'binary') return parseUtc;
  return (pg.types.getTypeParser as (o: number, f?: string) => (v: string) => unknown)(oid, format);
}

/**
 * Opens the study database at a postgresql:// URL, creating Optuna's schema
 * (and ours) in an empty database. Refuses, with a StorageError naming the
 * masked URL and the fix: an unreachable server, a wrong or missing password,
 * a missing database, a read-only open of a database without our tables,
 * Optuna tables of another revision, a database that is not Optuna's.
 */
export async function openPostgresStorage(url: string, opts: PostgresOpenOptions = {}): Promise<Storage> {
  const where = maskUrl(url);
  const t = target(url);
  const urlPw = urlPassword(url);
  const filePw = urlPw === null && process.env.PGPASSWORD === undefined ? fallbackPassword(t) : undefined;
  const queryPw = /[?&]password=([^&#]*)/i.exec(url)?.[1];
  const secrets = [
    urlPw,
    queryPw,
    queryPw === undefined ? undefined : safeDecode(queryPw),
    process.env.PGPASSWORD,
    filePw,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const readonly = opts.readonly === true;
  // The password from .pgpass, given to each new connection when the URL and PGPASSWORD have none.
  class Client extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      // Always a function when there is no password: pg's own (deprecated, warning) .pgpass lookup never runs.
      const self = this as unknown as { password: unknown };
      if (self.password == null) self.password = async () => filePw;
    }
  }
  const pool = new pg.Pool({
    connectionString: normalizeUrl(url),
    Client,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: 10_000,
    application_name: 'iae-sweep',
    types: { getTypeParser: typeParser } as pg.CustomTypesConfig,
    // The server refuses every write of a read-only storage, whatever the role may do.
    ...(readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle connection the server dropped (restart) must not kill the process; the next use reconnects.
  pool.on('error', () => {});
  const shared: Shared = {
    pool,
    poolq: prepared(pool),
    where,
    secrets,
    readonly,
    retries: opts.retries ?? 8,
    retryBaseMs: opts.retryBaseMs ?? 100,
    decoder: new TrialDecoder(where),
    onRetry: (attempt, err) =>
      opts.onRetry?.({ attempt, message: scrub(err instanceof Error ? err.message : String(err), secrets) }),
    closed: false,
  };
  try {
    const client = await pool.connect();
    client.on('error', ignore);
    try {
      if (readonly) {
        const state = await inspectSchema(client, where);
        if (state.kind === 'empty') {
          throw new StorageError(
            'the database has no study tables yet: nothing to read (start the sweep first with a read-write open, or check the database name in the URL)',
            where,
          );
        }
      } else {
        await ensureSchema(client, where);
      }
    } finally {
      release(client);
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw translate(err, where, secrets);
  }
  return new PostgresStorage(shared, null);
}
