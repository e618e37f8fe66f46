// The storage folder's public face: the interface every backend implements,
// and the SQLite backend.
export type { Artifact, ArtifactStore, EnqueueResult, FrozenTrial, JsonValue, Storage, StudySummary, TrialFilter } from './storage.js';
export { ArtifactDamagedError } from './artifact-error.js';
export { openSqliteStorage, GRID_POINT_ATTR, WORKER_ATTR } from './sqlite.js';
export type { SqliteOpenOptions } from './sqlite.js';
export { ALEMBIC_HEAD, SCHEMA_VERSION, LIBRARY_VERSION } from './schema.js';
