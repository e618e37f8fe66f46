// A real PostgreSQL server for the tests, from Debian's `postgresql` package:
// initdb into a temporary folder, listen on a Unix socket in that folder and on
// 127.0.0.1 (a free port), stop it (pg_ctl stop -m fast) and delete the folder
// at the end. PostgreSQL refuses to run as root, so as root the folder belongs
// to an unprivileged system user (iaepg, created when missing) that runs it.
//
// No skipping: without the server binaries this throws and says what to install.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Storage } from '../../src/storage/storage.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';

const execFileAsync = promisify(execFile);
const RUN_AS = 'iaepg';
/** The owner of the test databases and its password (with characters a URL must escape). */
export const APP_USER = 'iae';
export const APP_PASSWORD = 'pw:S3cr3t/ü@x';
/** A role with SELECT only, for the read-only tools. */
export const READER_USER = 'iae_reader';
export const READER_PASSWORD = 'reader-Pw-77';

const MISSING =
  'The PostgreSQL storage tests need a real server: `apt-get install postgresql` (bash scripts/setup.sh --test does), ' +
  'or set PG_BIN to the folder holding initdb and pg_ctl.';

/** The folder of initdb/pg_ctl: $PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. Missing: an error, never a skip. */
export function binDir(): string {
  const env = process.env.PG_BIN;
  if (env) {
    if (!existsSync(join(env, 'initdb')))
      throw new Error(`PostgreSQL server binaries not found: no initdb in PG_BIN=${env}. ${MISSING}`);
    return env;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0)
    throw new Error(`PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb). ${MISSING}`);
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** uid/gid the server runs as: ours, or (as root) the iaepg system user's, created when missing. */
function runAs(): { uid: number; gid: number; wrap: (cmd: string[]) => string[] } {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? 0, wrap: (c) => c };
  if (spawnSync('id', ['-u', RUN_AS]).status !== 0) {
    const r = spawnSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', RUN_AS], { encoding: 'utf8' });
    if (r.status !== 0 && spawnSync('id', ['-u', RUN_AS]).status !== 0) {
      throw new Error(
        `cannot create the system user ${RUN_AS} to run PostgreSQL as (root cannot): ${r.stderr || r.error?.message}`,
      );
    }
  }
  const id = (flag: string) => Number(execFileSync('id', [flag, RUN_AS], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g'), wrap: (c) => ['runuser', '-u', RUN_AS, '--', ...c] };
}

export interface PgServer {
  readonly host: string;
  readonly port: number;
  /** The folder holding the Unix socket. */
  readonly socketDir: string;
  /** URL of a database for the app role with its password over TCP (or another role, or no password). */
  url(database: string, opts?: { user?: string; password?: string | null; query?: string }): string;
  /** Superuser SQL on the maintenance database (over the socket, trust auth). */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Superuser SQL on one database (a fresh connection over the socket). */
  sql(database: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** An empty database owned by the app role; returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** A database with our schema already created (a copy of a template: fast). */
  freshDatabase(prefix?: string): Promise<string>;
  /** The backend factory the shared suite takes: one database per distinct key, the same one again for the same key. */
  opener(): (key: string) => Promise<Storage>;
  /**
   * The same, for a suite that asks for a fresh database per case and reopens
   * it (or hands it to a child process) by its location: `path` is the URL.
   */
  readonly backend: PgBackend;
  /** Stops the server (fast) and starts it again on the same port: connections drop. */
  restart(): Promise<void>;
  stopServer(): void;
  startServer(): void;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

export interface PgBackend {
  readonly name: 'postgres';
  /** A new database with our schema (CREATE DATABASE from a template), opened. */
  fresh(): Promise<{ storage: Storage; path: string }>;
  /** Opens a database `fresh` gave, by its URL. */
  open(path: string, opts?: { readonly?: boolean }): Promise<Storage>;
}

export async function startPgServer(): Promise<PgServer> {
  const bin = binDir();
  const who = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'iae-pg-'));
  const data = join(dir, 'data');
  chmodSync(dir, 0o700);
  chownSync(dir, who.uid, who.gid);
  const run = (cmd: string[], what: string) => {
    const full = who.wrap(cmd);
    const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) {
      let log = '';
      try {
        log = readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000);
      } catch {
        // no log yet
      }
      throw new Error(`${what} failed (${r.status ?? r.error?.message}): ${r.stderr}${r.stdout}\n${log}`);
    }
  };
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, 'postgres-admin\n');
  chownSync(pwfile, who.uid, who.gid);
  // Socket: trust for the admin; TCP: scram passwords (the wrong-password tests).
  run(
    [
      join(bin, 'initdb'),
      '-D',
      data,
      '-U',
      'postgres',
      '--pwfile',
      pwfile,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ],
    'initdb',
  );
  const port = await freePort();
  const opts = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // A test server: durability is not what is tested, speed is welcome.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    '-c shared_buffers=32MB',
  ].join(' ');
  const startServer = () =>
    run([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-o', opts, '-w', 'start'], 'pg_ctl start');
  const stopServer = () => run([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'], 'pg_ctl stop');
  startServer();
  let running = true;
  // A test process that dies must not leave a server behind.
  const onExit = () => {
    if (!running) return;
    const full = who.wrap([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']);
    spawnSync(full[0], full.slice(1), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const adminPool = new pg.Pool({ host: dir, port, user: 'postgres', database: 'postgres', max: 2 });
  adminPool.on('error', () => {}); // idle clients dropped by restart()
  const admin = (sql: string, params?: unknown[]) => adminPool.query(sql, params);
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  await admin(`CREATE ROLE ${APP_USER} LOGIN CREATEDB PASSWORD ${q(APP_PASSWORD)}`);
  await admin(`CREATE ROLE ${READER_USER} LOGIN PASSWORD ${q(READER_PASSWORD)}`);

  let n = 0;
  const createDatabase = async (prefix = 'db') => {
    const name = `${prefix}_${process.pid}_${n++}`;
    await admin(`CREATE DATABASE ${name} OWNER ${APP_USER} TEMPLATE template0`);
    return name;
  };
  const url = (database: string, o: { user?: string; password?: string | null; query?: string } = {}) => {
    const user = o.user ?? APP_USER;
    const password = o.password === undefined ? (user === READER_USER ? READER_PASSWORD : APP_PASSWORD) : o.password;
    const auth =
      password === null ? encodeURIComponent(user) : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
    return `postgresql://${auth}@127.0.0.1:${port}/${database}${o.query ? `?${o.query}` : ''}`;
  };
  let template: string | null = null;
  const freshDatabase = async (prefix = 'fresh') => {
    if (template === null) {
      const t = await createDatabase('template_iae');
      await (await openPostgresStorage(url(t))).close();
      template = t;
    }
    const name = `${prefix}_${process.pid}_${n++}`;
    await admin(`CREATE DATABASE ${name} OWNER ${APP_USER} TEMPLATE ${template}`);
    return name;
  };
  const byKey = new Map<string, string>();

  return {
    host: '127.0.0.1',
    port,
    socketDir: dir,
    url,
    admin,
    sql: async (database, sql, params) => {
      const c = new pg.Client({ host: dir, port, user: 'postgres', database });
      await c.connect();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    },
    createDatabase,
    freshDatabase,
    backend: {
      name: 'postgres',
      fresh: async () => {
        const path = url(await freshDatabase('case'));
        return { storage: await openPostgresStorage(path), path };
      },
      open: (path, o) => openPostgresStorage(path, o),
    },
    opener: () => async (key: string) => {
      let db = byKey.get(key);
      if (db === undefined) {
        db = await createDatabase('suite');
        byKey.set(key, db);
      }
      return openPostgresStorage(url(db));
    },
    restart: async () => {
      // Asynchronous, so that queries in flight meet the shutdown as they would on a real restart.
      const stop = who.wrap([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
      await execFileAsync(stop[0], stop.slice(1), { cwd: dir });
      const start = who.wrap([
        join(bin, 'pg_ctl'),
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-o',
        opts,
        '-w',
        'start',
      ]);
      await execFileAsync(start[0], start.slice(1), { cwd: dir });
    },
    stopServer,
    startServer,
    stop: async () => {
      await adminPool.end().catch(() => {});
      if (running) stopServer();
      running = false;
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
