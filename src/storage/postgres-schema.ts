// Optuna's relational schema at alembic head v3.2.0.a as SQLAlchemy creates it
// on PostgreSQL (models.py through `metadata.create_all`): Integer primary keys
// are SERIAL, each Python Enum is a PostgreSQL ENUM type named after the class
// (lower case), Float(precision=53) is FLOAT(53) (double precision), DateTime
// is a naive TIMESTAMP WITHOUT TIME ZONE. Same tables, columns and constraints
// as schema.ts (the SQLite text), plus the v3.2.0.a index and ours; a test
// compares it with what Optuna itself creates (pg_dump of both).
import type pg from 'pg';
import { StorageError } from '../errors/index.js';
import { ALEMBIC_HEAD, LIBRARY_VERSION, OLDER_REVISIONS, OPTUNA_TABLES, SCHEMA_VERSION } from './schema.js';

/** Our own tables beside Optuna's (Optuna ignores tables it does not know). */
export const OWN_TABLES = ['iae_artifacts', 'iae_leases'] as const;

/**
 * Key of the advisory lock two hosts take while they create the schema, so that
 * they create it once (pg_advisory_xact_lock(int, int): ours, then "schema").
 */
export const LOCK_CLASS = 0x1ae5; // "iae s(weep)"
export const LOCK_SCHEMA = 1;
/** Second key of the per-study lock (first key LOCK_CLASS + 1): enqueue, stale recovery, import. */
export const LOCK_STUDY_CLASS = LOCK_CLASS + 1;

export const OPTUNA_DDL = `
CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE');
CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING');
CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG');
CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN');
CREATE TABLE studies (
	study_id SERIAL NOT NULL, 
	study_name VARCHAR(512) NOT NULL, 
	PRIMARY KEY (study_id)
);
CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);
CREATE TABLE version_info (
	version_info_id INTEGER NOT NULL, 
	schema_version INTEGER, 
	library_version VARCHAR(256), 
	PRIMARY KEY (version_info_id), 
	CHECK (version_info_id=1)
);
CREATE TABLE study_directions (
	study_direction_id SERIAL NOT NULL, 
	direction studydirection NOT NULL, 
	study_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	PRIMARY KEY (study_direction_id), 
	UNIQUE (study_id, objective), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_user_attributes (
	study_user_attribute_id SERIAL NOT NULL, 
	study_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_user_attribute_id), 
	UNIQUE (study_id, key), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_system_attributes (
	study_system_attribute_id SERIAL NOT NULL, 
	study_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_system_attribute_id), 
	UNIQUE (study_id, key), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE trials (
	trial_id SERIAL NOT NULL, 
	number INTEGER, 
	study_id INTEGER, 
	state trialstate NOT NULL, 
	datetime_start TIMESTAMP WITHOUT TIME ZONE, 
	datetime_complete TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (trial_id), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE INDEX trials_study_id_key ON trials (study_id);
CREATE TABLE trial_user_attributes (
	trial_user_attribute_id SERIAL NOT NULL, 
	trial_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_user_attribute_id), 
	UNIQUE (trial_id, key), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_system_attributes (
	trial_system_attribute_id SERIAL NOT NULL, 
	trial_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_system_attribute_id), 
	UNIQUE (trial_id, key), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_params (
	param_id SERIAL NOT NULL, 
	trial_id INTEGER, 
	param_name VARCHAR(512), 
	param_value FLOAT(53), 
	distribution_json TEXT, 
	PRIMARY KEY (param_id), 
	UNIQUE (trial_id, param_name), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_values (
	trial_value_id SERIAL NOT NULL, 
	trial_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	value FLOAT(53), 
	value_type trialvaluetype NOT NULL, 
	PRIMARY KEY (trial_value_id), 
	UNIQUE (trial_id, objective), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_intermediate_values (
	trial_intermediate_value_id SERIAL NOT NULL, 
	trial_id INTEGER NOT NULL, 
	step INTEGER NOT NULL, 
	intermediate_value FLOAT(53), 
	intermediate_value_type trialintermediatevaluetype NOT NULL, 
	PRIMARY KEY (trial_intermediate_value_id), 
	UNIQUE (trial_id, step), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_heartbeats (
	trial_heartbeat_id SERIAL NOT NULL, 
	trial_id INTEGER NOT NULL, 
	heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (trial_heartbeat_id), 
	UNIQUE (trial_id), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
`;

/** Our indexes beside Optuna's (inspectSchema checks that each exists). */
export const OWN_INDEXES = ['iae_trials_study_state_number', 'iae_grid_point_attrs'] as const;

/**
 * Ours: the claim/count index and the grid point index (both as schema.ts),
 * the shared blobs (pretrained weights) and their build leases. IF NOT
 * EXISTS: also added to a database Optuna or an older sweep created (the
 * next read-write open adds what is missing).
 *
 * iae_grid_point_attrs lets enqueuePoints (and the retry count) look up only
 * the trials of the points it is given, so a chunk of a 10^5-point grid costs
 * O(chunk), not a read of every point queued. Partial (key = 'grid_point'):
 * it holds our 16-hex-digit ids only, never the values Optuna writes under
 * its own keys (a btree entry has a size limit that a long value_json would
 * exceed, failing Optuna's insert). Optuna ignores indexes it does not know.
 */
export const OWN_DDL = `
CREATE INDEX IF NOT EXISTS iae_trials_study_state_number ON trials (study_id, state, number);
CREATE INDEX IF NOT EXISTS iae_grid_point_attrs ON trial_system_attributes (value_json, trial_id) WHERE key = 'grid_point';
CREATE TABLE IF NOT EXISTS iae_artifacts (
	key TEXT PRIMARY KEY,
	bytes BYTEA NOT NULL,
	sha256 TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS iae_leases (
	key TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
`;

export type SchemaState = { kind: 'empty' } | { kind: 'current'; ownComplete: boolean };

type Q = Pick<pg.ClientBase, 'query'>;

/**
 * What the database's schema (the role's current schema, normally `public`)
 * holds: nothing of Optuna's yet, or Optuna's tables at the head revision.
 * Anything else throws a StorageError naming the database and the way out.
 */
export async function inspectSchema(db: Q, where: string): Promise<SchemaState> {
  const rows = (
    await db.query<{ name: string }>(
      // pg_tables, not information_schema: it lists tables this role may not read too.
      'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()',
    )
  ).rows;
  const tables = new Set(rows.map((r) => r.name));
  const foreign = [...tables].filter((t) => !(OWN_TABLES as readonly string[]).includes(t));
  if (foreign.length === 0) return { kind: 'empty' };
  const other = 'or pass the URL of another (or a new, empty) database';
  if (!tables.has('studies') || !tables.has('trials')) {
    throw new StorageError(
      `is a PostgreSQL database but not an Optuna study database (its schema has tables ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ' ...' : ''} and no "studies"/"trials"); ` +
        `create a database for the sweep (createdb) ${other}`,
      where,
    );
  }
  if (!tables.has('alembic_version')) {
    throw new StorageError(
      `was written by an old Optuna (no alembic revision); upgrade it with \`optuna storage upgrade --storage <url>\` using Optuna >= 3.2, ${other}`,
      where,
    );
  }
  const revs = (await db.query<{ version_num: string }>('SELECT version_num FROM alembic_version')).rows;
  const revision = revs.length === 1 ? revs[0].version_num : `${revs.length} rows`;
  if (revision !== ALEMBIC_HEAD) {
    if (OLDER_REVISIONS.includes(revision)) {
      throw new StorageError(
        `Optuna schema revision ${revision} is older than ${ALEMBIC_HEAD}, the one this tool writes; ` +
          `upgrade it with \`optuna storage upgrade --storage <url>\` using Optuna >= 3.2 (back up the database first), ${other}`,
        where,
      );
    }
    throw new StorageError(
      `Optuna schema revision ${revision} is not ${ALEMBIC_HEAD}, the only one this tool knows (written by a newer Optuna?); ${other}`,
      where,
    );
  }
  const missing = OPTUNA_TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0) {
    throw new StorageError(
      `claims Optuna revision ${ALEMBIC_HEAD} but lacks the tables ${missing.join(', ')} (damaged?); ${other}`,
      where,
    );
  }
  const info = (await db.query<{ schema_version: number }>('SELECT schema_version FROM version_info')).rows[0];
  if (info?.schema_version !== SCHEMA_VERSION) {
    throw new StorageError(
      `version_info.schema_version is ${info?.schema_version ?? 'missing'}, expected ${SCHEMA_VERSION}; ${other}`,
      where,
    );
  }
  const indexes = await db.query(
    'SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY($1::text[])',
    [[...OWN_INDEXES]],
  );
  return {
    kind: 'current',
    ownComplete: indexes.rowCount === OWN_INDEXES.length && OWN_TABLES.every((t) => tables.has(t)),
  };
}

/**
 * Creates Optuna's schema and ours, or adds ours to Optuna's, in one
 * transaction under an advisory lock: two hosts opening one new database at
 * once create it once (the second sees it complete after the lock).
 */
export async function ensureSchema(db: Q, where: string): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_SCHEMA]);
    const state = await inspectSchema(db, where);
    if (state.kind === 'empty') {
      await db.query(OPTUNA_DDL);
      await db.query('INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, $1, $2)', [
        SCHEMA_VERSION,
        LIBRARY_VERSION,
      ]);
      await db.query('INSERT INTO alembic_version (version_num) VALUES ($1)', [ALEMBIC_HEAD]);
    }
    if (state.kind === 'empty' || !state.ownComplete) await db.query(OWN_DDL);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
