// The one way callers open a storage: a file path is SQLite; a
// postgresql:// (or postgres://) URL is PostgreSQL. Everything that takes a
// --db goes through here, so a URL works wherever a path does.
import { openPostgresStorage } from './postgres.js';
import { isPostgresUrl, maskUrl } from './postgres-url.js';
import { openSqliteStorage } from './sqlite.js';
import type { Storage } from './storage.js';

export { isPostgresUrl };

export interface OpenOptions {
  /** Open for reading only (a monitor, status, export): never writes. */
  readonly readonly?: boolean;
}

/** `location` with any password in a URL masked, for messages. */
export function maskLocation(location: string): string {
  return isPostgresUrl(location) ? maskUrl(location) : location;
}

export async function openStorage(location: string, opts: OpenOptions = {}): Promise<Storage> {
  if (isPostgresUrl(location)) {
    // A static import, not import() on demand: under tsx (tests, development) a
    // dynamic import in a worker thread (the export's) does not resolve .js to
    // .ts and fails; and storage/index.ts loads pg for every caller anyway.
    return openPostgresStorage(location, opts);
  }
  return openSqliteStorage(location, opts);
}
