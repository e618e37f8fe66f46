// PostgreSQL URLs: recognising one, masking its password for every message,
// and the password when the URL has none (PGPASSWORD, then ~/.pgpass as libpq
// reads it). pg's own .pgpass support is deprecated (gone in pg 9) and warns on
// use, so the lookup is ours.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const SCHEME = /^postgres(?:ql)?(?:\+[a-z0-9]+)?:\/\//i;

/** True for postgresql://, postgres:// (and SQLAlchemy's postgresql+psycopg2://). */
export function isPostgresUrl(s: string): boolean {
  return SCHEME.test(s);
}

/** SQLAlchemy's driver suffix means nothing to node-postgres: postgresql+psycopg2:// -> postgresql://. */
export function normalizeUrl(url: string): string {
  return url.replace(/^postgres(?:ql)?\+[a-z0-9]+:\/\//i, 'postgresql://');
}

/**
 * The user-info part of the URL ("user:password"), up to the LAST "@" before
 * the path or query: a password with an unescaped "@" or "/" (a typo, but a
 * secret all the same) still counts as password, not as host.
 */
function userInfo(url: string): { start: number; end: number } | null {
  const scheme = /^[a-z0-9+.-]+:\/\//i.exec(url);
  if (!scheme) return null;
  const q = url.search(/[?#]/);
  const head = q < 0 ? url : url.slice(0, q);
  const at = head.lastIndexOf('@');
  if (at < scheme[0].length) return null;
  return { start: scheme[0].length, end: at };
}

/** The password of the URL (decoded), or null. */
export function urlPassword(url: string): string | null {
  const u = userInfo(url);
  if (!u) return null;
  const info = url.slice(u.start, u.end);
  const colon = info.indexOf(':');
  if (colon < 0) return null;
  const raw = info.slice(colon + 1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The URL with its password replaced by *** (postgresql://u:***@h/db); any password= query parameter too. */
export function maskUrl(url: string): string {
  let out = url;
  const u = userInfo(url);
  if (u) {
    const colon = url.slice(u.start, u.end).indexOf(':');
    if (colon >= 0) out = `${url.slice(0, u.start + colon + 1)}***${url.slice(u.end)}`;
  }
  return out.replace(/([?&]password=)[^&#]*/i, '$1***');
}

/**
 * Removes every spelling of the secrets (raw and URL-encoded) from a message:
 * errors from the driver or the network are passed through this before they
 * reach a message, a log line or a stored attribute.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0) continue;
    for (const form of new Set([s, encodeURIComponent(s), encodeURI(s)])) out = out.split(form).join('***');
  }
  return out;
}

export interface ConnTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

interface Parsed {
  host?: string;
  port?: string;
  database?: string;
  user?: string;
}

/** The parts pg-connection-string reads (host may be a %2F-encoded socket folder, or ?host=). */
function parseUrl(url: string): Parsed {
  let u: URL;
  try {
    u = new URL(normalizeUrl(url).replace(/^postgres(ql)?:/i, 'http:'));
  } catch {
    // e.g. postgresql://user@/db?host=/run/postgresql: an empty host
    try {
      u = new URL(normalizeUrl(url).replace(/^postgres(ql)?:\/\/([^/]*@)?/i, 'http://$2x'));
      u.hostname = '';
    } catch {
      return {};
    }
  }
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const q = u.searchParams;
  return {
    host: q.get('host') ?? (u.hostname ? dec(u.hostname) : undefined),
    port: q.get('port') ?? (u.port || undefined),
    database: q.get('dbname') ?? (u.pathname.length > 1 ? dec(u.pathname.slice(1)) : undefined),
    user: q.get('user') ?? (u.username ? dec(u.username) : undefined),
  };
}

/** Host, port, database and user as node-postgres will connect (URL, then PG* variables, then its defaults). */
export function target(url: string): ConnTarget {
  const c = parseUrl(url);
  return {
    host: c.host || process.env.PGHOST || 'localhost',
    port: Number(c.port || process.env.PGPORT || 5432),
    database: c.database || process.env.PGDATABASE || c.user || process.env.PGUSER || process.env.USER || '',
    user: c.user || process.env.PGUSER || process.env.USER || '',
  };
}

function pgpassFile(): string {
  return process.env.PGPASSFILE || join(homedir(), '.pgpass');
}

/** Splits a .pgpass line on unescaped colons, unescaping \: and \\. */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * The password ~/.pgpass (or $PGPASSFILE) gives for the target, as libpq reads
 * it: host:port:database:username:password lines, `*` matching anything, the
 * first match winning; a Unix-socket connection matches "localhost"; a file
 * that group or others can read is ignored (libpq's rule, so a password
 * readable by others is never used).
 */
export function pgpassPassword(t: ConnTarget): string | null {
  const file = pgpassFile();
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile() || (st.mode & 0o077) !== 0) return null;
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const host = t.host.startsWith('/') ? 'localhost' : t.host;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = fields(line);
    if (f.length < 5) continue;
    const want = [host, String(t.port), t.database, t.user];
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f.slice(4).join(':');
  }
  return null;
}

/** The password when the URL has none: PGPASSWORD, then .pgpass; undefined when neither has one. */
export function fallbackPassword(t: ConnTarget): string | undefined {
  if (process.env.PGPASSWORD !== undefined) return process.env.PGPASSWORD;
  return pgpassPassword(t) ?? undefined;
}
