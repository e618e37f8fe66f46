// The one way callers open a storage: a file path is SQLite; a
// postgresql:// (or postgres://) URL is PostgreSQL. Everything that takes a
// --db goes through here, so a URL works wherever a path does.
import { StorageError } from '../errors/index.js';
import { openSqliteStorage } from './sqlite.js';
import type { Storage } from './storage.js';

export interface OpenOptions {
  /** Open for reading only (a monitor, status, export): never writes. */
  readonly readonly?: boolean;
}

/** Whether `location` is a PostgreSQL URL rather than a file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}

/** `location` with any password in a URL masked, for messages. */
export function maskLocation(location: string): string {
  return isPostgresUrl(location) ? location.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1:***@') : location;
}

export async function openStorage(location: string, opts: OpenOptions = {}): Promise<Storage> {
  if (isPostgresUrl(location)) {
    // PostgreSQL dispatch: the one place a URL is routed. When src/storage/postgres.ts lands:
    //   const { openPostgresStorage } = await import('./postgres.js');
    //   return openPostgresStorage(location, opts);
    throw new StorageError('PostgreSQL storage is not available in this build; pass an SQLite file path', maskLocation(location));
  }
  return openSqliteStorage(location, opts);
}
