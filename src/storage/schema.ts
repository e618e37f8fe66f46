// Optuna's relational schema at alembic head v3.2.0.a, as SQLAlchemy emits it
// for SQLite (the DDL below is what optuna's models.py produces with
// `metadata.create_all`, Enum columns being VARCHAR of the longest member name,
// plus the v3.2.0.a index). Keeping the text identical to Optuna's means an
// Optuna >= 3.2 process can open our files as its own and we can open theirs.
import type Database from 'better-sqlite3';
import { StorageError } from '../errors/index.js';

export const ALEMBIC_HEAD = 'v3.2.0.a';
export const SCHEMA_VERSION = 12;
/** The Optuna release whose schema we write (informational, as Optuna's own field). */
export const LIBRARY_VERSION = '3.2.0';

/** Every alembic revision Optuna ever shipped before the head, oldest first (both backends refuse them by name). */
export const OLDER_REVISIONS: readonly string[] = [
  'v0.9.0.a',
  'v1.2.0.a',
  'v1.3.0.a',
  'v2.4.0.a',
  'v2.6.0.a',
  'v3.0.0.a',
  'v3.0.0.b',
  'v3.0.0.c',
  'v3.0.0.d',
];

export const OPTUNA_TABLES = [
  'studies',
  'version_info',
  'study_directions',
  'study_user_attributes',
  'study_system_attributes',
  'trials',
  'trial_user_attributes',
  'trial_system_attributes',
  'trial_params',
  'trial_values',
  'trial_intermediate_values',
  'trial_heartbeats',
  'alembic_version',
] as const;

/**
 * Deleting a study, table by table: Optuna's foreign keys have no ON DELETE
 * CASCADE, so a trial's rows (by trial_id) go before the trials, and those
 * before the study's own rows (by study_id). Both backends delete in this order.
 */
export const STUDY_DELETE_ORDER = {
  byTrial: [
    'trial_params',
    'trial_values',
    'trial_intermediate_values',
    'trial_user_attributes',
    'trial_system_attributes',
    'trial_heartbeats',
  ],
  byStudy: ['trials', 'study_directions', 'study_user_attributes', 'study_system_attributes', 'studies'],
} as const;

const OPTUNA_DDL = `
CREATE TABLE studies (
	study_id INTEGER NOT NULL, 
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
	study_direction_id INTEGER NOT NULL, 
	direction VARCHAR(8) NOT NULL, 
	study_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	PRIMARY KEY (study_direction_id), 
	UNIQUE (study_id, objective), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_user_attributes (
	study_user_attribute_id INTEGER NOT NULL, 
	study_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_user_attribute_id), 
	UNIQUE (study_id, "key"), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_system_attributes (
	study_system_attribute_id INTEGER NOT NULL, 
	study_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_system_attribute_id), 
	UNIQUE (study_id, "key"), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE trials (
	trial_id INTEGER NOT NULL, 
	number INTEGER, 
	study_id INTEGER, 
	state VARCHAR(8) NOT NULL, 
	datetime_start DATETIME, 
	datetime_complete DATETIME, 
	PRIMARY KEY (trial_id), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE INDEX trials_study_id_key ON trials (study_id);
CREATE TABLE trial_user_attributes (
	trial_user_attribute_id INTEGER NOT NULL, 
	trial_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_user_attribute_id), 
	UNIQUE (trial_id, "key"), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_system_attributes (
	trial_system_attribute_id INTEGER NOT NULL, 
	trial_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_system_attribute_id), 
	UNIQUE (trial_id, "key"), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_params (
	param_id INTEGER NOT NULL, 
	trial_id INTEGER, 
	param_name VARCHAR(512), 
	param_value FLOAT, 
	distribution_json TEXT, 
	PRIMARY KEY (param_id), 
	UNIQUE (trial_id, param_name), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_values (
	trial_value_id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	value FLOAT, 
	value_type VARCHAR(7) NOT NULL, 
	PRIMARY KEY (trial_value_id), 
	UNIQUE (trial_id, objective), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_intermediate_values (
	trial_intermediate_value_id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	step INTEGER NOT NULL, 
	intermediate_value FLOAT, 
	intermediate_value_type VARCHAR(7) NOT NULL, 
	PRIMARY KEY (trial_intermediate_value_id), 
	UNIQUE (trial_id, step), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_heartbeats (
	trial_heartbeat_id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	heartbeat DATETIME NOT NULL, 
	PRIMARY KEY (trial_heartbeat_id), 
	UNIQUE (trial_id), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
`;

/**
 * Ours, beside Optuna's tables (Optuna ignores unknown indexes): claiming the
 * oldest WAITING trial and counting per state become index range reads instead
 * of scans of the study's trials, so per-trial cost stays flat as it grows.
 * The partial index on our grid point attribute (sqlite.ts GRID_POINT_ATTR,
 * spelled out here to keep this file free of imports) lets enqueuePoints look
 * up only the trials of the points it is given: a chunk of a 10^5-point grid
 * costs O(chunk), not a read of every point already queued.
 */
const OWN_DDL = `
CREATE INDEX IF NOT EXISTS iae_trials_study_state_number ON trials (study_id, state, number);
CREATE INDEX IF NOT EXISTS iae_grid_point_attrs ON trial_system_attributes (value_json, trial_id) WHERE "key" = 'grid_point';
`;

/** Creates Optuna's tables and stamps them at the head revision. Call inside a write transaction. */
export function createSchema(db: Database.Database): void {
  db.exec(OPTUNA_DDL);
  db.prepare('INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, ?, ?)').run(
    SCHEMA_VERSION,
    LIBRARY_VERSION,
  );
  db.prepare('INSERT INTO alembic_version (version_num) VALUES (?)').run(ALEMBIC_HEAD);
  db.exec(OWN_DDL);
}

/** Our extra indexes, for files Optuna (>= 3.2) or an older sweep created. Call inside a write transaction. */
export function createOwnIndexes(db: Database.Database): void {
  db.exec(OWN_DDL);
}

export function hasOwnIndexes(db: Database.Database): boolean {
  const sql =
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name IN ('iae_trials_study_state_number', 'iae_grid_point_attrs')";
  return (db.prepare(sql).get() as { n: number }).n === 2;
}

export type SchemaState = { kind: 'empty' } | { kind: 'current' };

/**
 * What the file holds: nothing yet, or Optuna's schema at the head revision.
 * Anything else throws a StorageError that names the file and the way out.
 */
export function inspectSchema(db: Database.Database, file: string): SchemaState {
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  if (tables.size === 0) return { kind: 'empty' };
  const newDb = 'or pass a new --db file';
  if (!tables.has('studies') || !tables.has('trials')) {
    throw new StorageError(
      `is an SQLite database but not an Optuna study database (it has tables ${[...tables].slice(0, 5).join(', ')}${tables.size > 5 ? ' ...' : ''} and no "studies"/"trials"); pass another --db file`,
      file,
    );
  }
  if (!tables.has('alembic_version')) {
    const v = tables.has('version_info')
      ? (db.prepare('SELECT schema_version, library_version FROM version_info').get() as
          { schema_version: number; library_version: string } | undefined)
      : undefined;
    throw new StorageError(
      `was written by an old Optuna (schema ${v ? `${v.schema_version}, optuna ${v.library_version}` : 'unknown'}, no alembic revision); ` +
        `upgrade it with \`optuna storage upgrade --storage sqlite:///${file}\` using Optuna >= 3.2, ${newDb}`,
      file,
    );
  }
  const rows = db.prepare('SELECT version_num FROM alembic_version').all() as { version_num: string }[];
  const revision = rows.length === 1 ? rows[0].version_num : `${rows.length} rows`;
  if (revision !== ALEMBIC_HEAD) {
    if (OLDER_REVISIONS.includes(revision)) {
      throw new StorageError(
        `Optuna schema revision ${revision} is older than ${ALEMBIC_HEAD}, the one this tool writes; ` +
          `upgrade it with \`optuna storage upgrade --storage sqlite:///${file}\` using Optuna >= 3.2 (back up the file first), ${newDb}`,
        file,
      );
    }
    throw new StorageError(
      `Optuna schema revision ${revision} is not ${ALEMBIC_HEAD}, the only one this tool knows (written by a newer Optuna?); ${newDb}`,
      file,
    );
  }
  const missing = OPTUNA_TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0) {
    throw new StorageError(
      `claims Optuna revision ${ALEMBIC_HEAD} but lacks the tables ${missing.join(', ')} (damaged?); ${newDb}`,
      file,
    );
  }
  const info = db.prepare('SELECT schema_version FROM version_info').get() as { schema_version: number } | undefined;
  if (info?.schema_version !== SCHEMA_VERSION) {
    throw new StorageError(
      `version_info.schema_version is ${info?.schema_version ?? 'missing'}, expected ${SCHEMA_VERSION}; ${newDb}`,
      file,
    );
  }
  return { kind: 'current' };
}
