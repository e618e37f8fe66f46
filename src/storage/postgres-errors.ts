// PostgreSQL and network failures as StorageErrors that name the fix, with
// the password scrubbed from every message (and from the cause kept for
// debugging). Also: which failures are a dropped connection, worth a retry.
import { StorageError } from '../errors/index.js';
import { scrub } from './postgres-url.js';

interface PgLikeError {
  code?: string;
  message: string;
  errno?: number;
  syscall?: string;
}

const asErr = (err: unknown): PgLikeError | null => (err instanceof Error ? (err as unknown as PgLikeError) : null);

/** Network-level failures: the server is down, restarting, or the connection broke. */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT',
  'EAI_AGAIN',
]);

/**
 * True when the connection dropped or the server is restarting: the operation
 * may run again on a new connection. SQLSTATE 57P01-57P03 (shutdown, crash,
 * starting up), class 08 (connection exception), socket errors, and the
 * driver's own messages for a connection that ended under a query.
 */
export function isConnectionError(err: unknown): boolean {
  const e = asErr(err);
  // Ours are final: a StorageError quoting "Connection terminated" is not a dropped connection to retry.
  if (!e || err instanceof StorageError) return false;
  const code = e.code ?? '';
  if (code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08')) return true;
  if (NET_CODES.has(code)) return true;
  return /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|terminating connection/i.test(
    e.message,
  );
}

/** Removes the secrets from an error's message and stack in place (the object may be kept as a cause). */
function scrubError(err: Error, secrets: readonly string[]): Error {
  err.message = scrub(err.message, secrets);
  if (err.stack) err.stack = scrub(err.stack, secrets);
  return err;
}

/**
 * Maps a failure to a StorageError saying what to do; errors of ours
 * (StorageError, TrialStateError ...) pass through. `where` is the masked URL.
 */
export function translate(err: unknown, where: string, secrets: readonly string[]): unknown {
  if (err instanceof StorageError) return err;
  const e = asErr(err);
  if (!e) return err;
  scrubError(err as Error, secrets);
  const code = e.code ?? '';
  const msg = e.message;
  // The cause is a plain copy: the driver's error can hold its client (pg-pool sets err.client), and a
  // client's configuration holds the URL; only the scrubbed message and the code go on.
  const cause = Object.assign(new Error(msg), code ? { code } : {});
  const mk = (text: string) => new StorageError(text, where, { cause });
  if (code === '28P01')
    return mk(`wrong password for the role in the URL (${msg}); fix it in the URL, PGPASSWORD or ~/.pgpass`);
  if (code === '28000') {
    return mk(
      `the server refused the connection (${msg}); check the role name, and pg_hba.conf on the server for this host and database`,
    );
  }
  if (/client password must be a string|password must be a string|no password supplied/i.test(msg)) {
    return mk(
      'the server asks for a password and none was given; put it in the URL, in PGPASSWORD, or in ~/.pgpass (mode 0600)',
    );
  }
  if (code === '3D000')
    return mk(`no such database (${msg}); create it first (\`createdb -O <role> <name>\`) or fix the name in the URL`);
  if (code === '42501') {
    return mk(
      `permission denied (${msg}); the role lacks a privilege: a SELECT-only role is for read-only tools (monitor, export); ` +
        'sweep start/worker need INSERT, UPDATE and DELETE on the tables, and creating them needs the database owner (or CREATE on its schema)',
    );
  }
  if (code === '53300')
    return mk(`too many connections to the server (${msg}); raise max_connections or run fewer workers per host`);
  if (/does not support SSL|SSL|self[- ]signed|certificate/i.test(msg)) {
    return mk(
      `SSL negotiation failed (${msg}); check sslmode (and sslrootcert) in the URL against the server's ssl setting`,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return mk(`cannot resolve the host (${msg}); check the host name in the URL`);
  if (code === 'ERR_INVALID_URL') {
    return mk(
      'is not a valid PostgreSQL URL (postgresql://user:password@host:port/database); percent-encode special characters of the password (@ as %40, / as %2F, : as %3A)',
    );
  }
  if (isConnectionError(err)) {
    return mk(
      `cannot reach the PostgreSQL server (${msg}); check that it runs, the host and port in the URL, ` +
        "and the server's listen_addresses and firewall",
    );
  }
  // Any other failure of the driver, the server or the network (it has a code): typed, with only the
  // scrubbed message kept. Errors of ours (state transitions, ranges) have no code and pass through.
  if (code !== '') return mk(`database error ${code}: ${msg}`);
  return err;
}
