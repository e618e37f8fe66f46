// Opening PostgreSQL storage: every refusal is a StorageError that names the
// fix, with the password masked everywhere (message, cause, location, retry
// messages); credentials from PGPASSWORD and ~/.pgpass; sslmode passed
// through; a SELECT-only role reads everything read-only and creates nothing.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../../src/errors/index.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import type { Storage } from '../../src/storage/storage.js';
import { TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints } from './helpers.js';
import { APP_PASSWORD, APP_USER, READER_PASSWORD, READER_USER, startPgServer, type PgServer } from './pg-server.js';

const SECRETS = [APP_PASSWORD, encodeURIComponent(APP_PASSWORD), READER_PASSWORD, 'not-the-password'];

/** The error, everything it carries, and its cause, printed as a log line would: no password anywhere. */
function assertMasked(err: unknown, what: string): void {
  const text = [String(err), inspect(err, { depth: 8 }), JSON.stringify(err), String((err as Error).cause ?? '')].join(
    '\n',
  );
  for (const s of SECRETS) assert.ok(!text.includes(s), `${what}: the password appears in ${text}`);
}

async function refusal(p: Promise<unknown>, pattern: RegExp, what: string): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StorageError, `${what}: ${inspect(err)}`);
    assert.match(err.message, pattern, what);
    assert.equal(err.exitCode, 2);
    assertMasked(err, what);
    return err;
  }
  assert.fail(`${what}: opened`);
}

const withEnv = async <T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
};

describe('PostgreSQL storage: refusals, credentials, masking, read-only', () => {
  let server: PgServer;
  const opened: Storage[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'iae-pgpass-'));
  // No ~/.pgpass of the machine may answer for these tests.
  const noPgpass = { PGPASSWORD: undefined, PGPASSFILE: join(tmp, 'none') };
  before(async () => {
    server = await startPgServer();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const keep = (s: Storage) => (opened.push(s), s);

  it('masks the password in location; the stored rows never hold it', async () => {
    const db = await server.createDatabase();
    const s = keep(await openPostgresStorage(server.url(db)));
    assert.equal(s.location, `postgresql://${APP_USER}:***@127.0.0.1:${server.port}/${db}`);
    const study = await s.openStudy('m', { storage: s.location });
    await s.enqueuePoints(study.id, makePoints(1), DISTRIBUTIONS);
    const t = (await s.claimTrial(study.id, 'h:1'))!;
    await s.finishTrial(t.id, TrialState.COMPLETE, 0.5);
    const dump = await server.sql(
      db,
      "SELECT string_agg(value_json, ' ') AS all FROM (SELECT value_json FROM study_system_attributes UNION ALL SELECT value_json FROM trial_system_attributes) x",
    );
    assertMasked(String(dump.rows[0].all), 'stored attributes');
    assertMasked(s.location, 'location');
  });

  it('refuses an unreachable server, a wrong or missing password, a missing database, naming the fix', async () => {
    const db = await server.createDatabase();
    await refusal(
      openPostgresStorage(`postgresql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:1/${db}`),
      /cannot reach the PostgreSQL server.*ECONNREFUSED.*host and port/,
      'unreachable',
    );
    await refusal(
      openPostgresStorage(server.url(db, { password: 'not-the-password' })),
      /wrong password.*URL, PGPASSWORD or ~\/\.pgpass/,
      'wrong password',
    );
    await withEnv(noPgpass, () =>
      refusal(
        openPostgresStorage(server.url(db, { password: null })),
        /asks for a password and none was given.*PGPASSWORD.*\.pgpass/,
        'no password',
      ),
    );
    await refusal(openPostgresStorage(server.url('no_such_db')), /no such database.*createdb/, 'missing database');
    // A password with unescaped @ and / makes the URL invalid: still masked, and the fix named.
    const bad = await refusal(
      openPostgresStorage(`postgresql://${APP_USER}:${APP_PASSWORD}@127.0.0.1:99999/${db}`),
      /not a valid PostgreSQL URL.*percent-encode/,
      'invalid URL',
    );
    assert.match(bad.message, /^postgresql:\/\/iae:\*\*\*@127/);
    const e = await refusal(
      openPostgresStorage(server.url(db, { query: 'sslmode=require' })),
      /SSL.*sslmode/,
      'sslmode=require against a server without SSL',
    );
    assert.match(e.message, /postgresql:\/\/iae:\*\*\*@/);
    // sslmode=disable is passed through and works.
    keep(await openPostgresStorage(server.url(db, { query: 'sslmode=disable' })));
  });

  it('takes the password from PGPASSWORD, or from a 0600 .pgpass (and ignores one others can read)', async () => {
    const db = await server.createDatabase();
    const url = server.url(db, { password: null });
    keep(await withEnv({ ...noPgpass, PGPASSWORD: APP_PASSWORD }, () => openPostgresStorage(url)));
    const file = join(tmp, 'pgpass');
    const escaped = APP_PASSWORD.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    writeFileSync(file, `# test\nother:1:*:*:nope\n127.0.0.1:${server.port}:${db}:${APP_USER}:${escaped}\n`);
    chmodSync(file, 0o600);
    const s = keep(await withEnv({ PGPASSWORD: undefined, PGPASSFILE: file }, () => openPostgresStorage(url)));
    assert.equal(s.location, url, 'no password in the URL, none added to the location');
    chmodSync(file, 0o644);
    await withEnv({ PGPASSWORD: undefined, PGPASSFILE: file }, () =>
      refusal(openPostgresStorage(url), /asks for a password/, '.pgpass readable by others'),
    );
    // A retry message after a dropped connection is masked too (the onRetry text goes to logs).
    const messages: string[] = [];
    const r = keep(
      await openPostgresStorage(server.url(db), { retryBaseMs: 20, onRetry: (i) => messages.push(i.message) }),
    );
    await server.sql(
      'postgres',
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND datname = $2',
      [APP_USER, db],
    );
    await r.listStudies();
    for (const m of messages) assertMasked(m, 'retry message');
  });

  it('refuses a non-Optuna database, Optuna tables of another revision, and read-only opens of an empty one, changing nothing', async () => {
    const foreign = await server.createDatabase();
    await server.sql(foreign, 'CREATE TABLE invoices (id int); ALTER TABLE invoices OWNER TO iae');
    await refusal(
      openPostgresStorage(server.url(foreign)),
      /not an Optuna study database.*invoices.*createdb/,
      'foreign tables',
    );

    for (const [rev, pattern] of [
      ['v3.0.0.d', /revision v3\.0\.0\.d is older than v3\.2\.0\.a.*optuna storage upgrade/],
      ['v9.0.0.a', /revision v9\.0\.0\.a is not v3\.2\.0\.a.*newer Optuna/],
    ] as const) {
      const db = await server.freshDatabase('rev');
      await server.sql(db, 'UPDATE alembic_version SET version_num = $1', [rev]);
      await refusal(openPostgresStorage(server.url(db)), pattern, `revision ${rev}`);
      const left = await server.sql(db, 'SELECT version_num FROM alembic_version');
      assert.equal(left.rows[0].version_num, rev, 'left as it was');
    }

    const empty = await server.createDatabase();
    await refusal(
      openPostgresStorage(server.url(empty), { readonly: true }),
      /no study tables yet/,
      'read-only open of an empty database',
    );
    const tables = await server.sql(
      empty,
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert.equal(tables.rows[0].n, 0, 'a read-only open created nothing');
  });

  it('a database Optuna (>= 3.2) created: read-only opens read it as is, the first read-write open adds our index and tables', async () => {
    const db = await server.freshDatabase('optuna32');
    const w = keep(await openPostgresStorage(server.url(db)));
    const study = await w.openStudy('o', {});
    await w.enqueuePoints(study.id, makePoints(2), DISTRIBUTIONS);
    // As Optuna's create_all leaves it: none of ours.
    await server.sql(
      db,
      'DROP INDEX iae_trials_study_state_number; DROP INDEX iae_grid_point_attrs; DROP TABLE iae_artifacts; DROP TABLE iae_leases',
    );
    const ours = "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'iae_%'";
    const r = keep(await openPostgresStorage(server.url(db), { readonly: true }));
    assert.equal((await r.getTrials(study.id)).length, 2);
    assert.equal(await r.artifacts!.getArtifact('weights/0'), null, 'no table of ours: nothing stored');
    assert.equal((await server.sql(db, ours)).rows[0].n, 0, 'the read-only open created nothing');
    keep(await openPostgresStorage(server.url(db)));
    assert.equal((await server.sql(db, ours)).rows[0].n, 6, 'two indexes, two tables and their keys');
  });

  it('a database of an earlier sweep (no grid point index) gets it on the next read-write open, once; its points are still found', async () => {
    const db = await server.freshDatabase('oldindex');
    const w = keep(await openPostgresStorage(server.url(db)));
    const study = await w.openStudy('o', {});
    await w.enqueuePoints(study.id, makePoints(5), DISTRIBUTIONS);
    await server.sql(db, 'DROP INDEX iae_grid_point_attrs');
    const indexes = async () =>
      (
        await server.sql(
          db,
          "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'iae_%' ORDER BY indexname",
        )
      ).rows as { indexname: string; indexdef: string }[];
    assert.deepEqual(
      (await indexes()).map((r) => r.indexname),
      ['iae_artifacts_pkey', 'iae_leases_pkey', 'iae_trials_study_state_number'],
    );
    // A read-only open adds nothing; read-write opens (two at once, as two hosts) add it once.
    keep(await openPostgresStorage(server.url(db), { readonly: true }));
    assert.equal((await indexes()).length, 3);
    const [a] = await Promise.all([0, 1].map(() => openPostgresStorage(server.url(db)).then(keep)));
    const now = await indexes();
    assert.deepEqual(
      now.map((r) => r.indexname),
      ['iae_artifacts_pkey', 'iae_grid_point_attrs', 'iae_leases_pkey', 'iae_trials_study_state_number'],
    );
    assert.match(
      now[1].indexdef,
      /ON public\.trial_system_attributes USING btree \(value_json, trial_id\) WHERE \(\(key\)::text = 'grid_point'::text\)/,
    );
    assert.deepEqual(await a.enqueuePoints(study.id, makePoints(7), DISTRIBUTIONS), { added: 2, present: 5 });
  });

  it('a Unix-socket URL (host= the socket folder) opens the same way', async () => {
    const db = await server.createDatabase();
    const s = keep(
      await openPostgresStorage(
        `postgresql://${APP_USER}@/${db}?host=${encodeURIComponent(server.socketDir)}&port=${server.port}`,
      ),
    );
    assert.deepEqual(await s.listStudies(), []);
  });

  it('several hosts opening one new database at once create the schema once', async () => {
    const db = await server.createDatabase();
    const all = await Promise.all([0, 1, 2, 3].map(() => openPostgresStorage(server.url(db))));
    all.forEach(keep);
    const r = await server.sql(db, 'SELECT count(*)::int AS n FROM alembic_version');
    assert.equal(r.rows[0].n, 1);
    const s = await all[3].openStudy('x', {});
    assert.equal((await all[0].getStudy('x'))?.id, s.id);
  });

  it('a SELECT-only role reads everything read-only; writes are refused; nothing is created', async () => {
    const db = await server.freshDatabase('ro');
    const w = keep(await openPostgresStorage(server.url(db)));
    const study = await w.openStudy('ro', { definition: 'h' });
    await w.enqueuePoints(study.id, makePoints(3), DISTRIBUTIONS);
    const t = (await w.claimTrial(study.id, 'h:1'))!;
    await w.setIntermediateValue(t.id, 1, 0.5);
    await w.finishTrial(t.id, TrialState.COMPLETE, 0.5);
    await w.artifacts!.putArtifact('weights/0', new Uint8Array([7]));
    await server.sql(
      db,
      `GRANT USAGE ON SCHEMA public TO ${READER_USER}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER_USER}`,
    );
    const before = await server.sql(
      db,
      "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    );

    const r = keep(await openPostgresStorage(server.url(db, { user: READER_USER }), { readonly: true }));
    assert.deepEqual(
      (await r.listStudies()).map((s) => s.name),
      ['ro'],
    );
    assert.equal((await r.getStudy('ro'))?.systemAttrs.definition, 'h');
    assert.equal((await r.openStudy('ro', {})).id, study.id, 'openStudy of an existing study is a read');
    assert.equal((await r.getTrials(study.id)).length, 3);
    assert.equal((await r.getTrials(study.id, [TrialState.COMPLETE]))[0].intermediate.get(1), 0.5);
    assert.equal((await r.getTrial(t.id)).value, 0.5);
    assert.deepEqual(await r.countTrials(study.id, 'grid'), { 0: 0, 1: 1, 2: 0, 3: 0, 4: 2 });
    assert.deepEqual([...(await r.artifacts!.getArtifact('weights/0'))!.bytes], [7]);
    await refusal(r.claimTrial(study.id, 'x'), /read-only/, 'claim on a read-only storage');
    await refusal(r.heartbeat(t.id), /read-only/, 'heartbeat on a read-only storage');
    await refusal(r.artifacts!.putArtifact('k', new Uint8Array([1])), /read-only/, 'put on a read-only storage');
    await refusal(r.openStudy('new', {}), /read-only/, 'a new study on a read-only storage');
    // The same role opened read-write is refused by the server, with the fix.
    const rw = keep(await openPostgresStorage(server.url(db, { user: READER_USER })));
    await refusal(
      rw.setUserAttrs(t.id + 1, { a: 1 }),
      /permission denied.*SELECT-only role is for read-only tools/,
      'a write by the SELECT-only role',
    );
    const afterOpen = await server.sql(
      db,
      "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    );
    assert.equal(afterOpen.rows[0].n, before.rows[0].n, 'nothing created');
  });
});
