// The storage folder's public face: the interface every backend implements,
// and the SQLite backend.
export type {
  Artifact,
  ArtifactStore,
  EnqueueResult,
  FrozenTrial,
  JsonValue,
  Storage,
  StudyDirection,
  StudySummary,
  TrialFilter,
  TrialImport,
} from './storage.js';
export { ArtifactDamagedError } from './artifact-error.js';
export { openStorage, isPostgresUrl, maskLocation } from './open.js';
export type { OpenOptions } from './open.js';
export { openSqliteStorage, GRID_POINT_ATTR, WORKER_ATTR } from './sqlite.js';
export type { SqliteOpenOptions } from './sqlite.js';
export { ALEMBIC_HEAD, SCHEMA_VERSION, LIBRARY_VERSION } from './schema.js';
// The PostgreSQL backend (many hosts on one study); `isPostgresUrl` tells a URL from an SQLite path.
export { openPostgresStorage } from './postgres.js';
export type { PostgresOpenOptions } from './postgres.js';
export { maskUrl } from './postgres-url.js';
