// The SQLite backend: the shared suite, plus what only a file has: its layout
// on disk, read-only opens beside a writer, and refusing files it must not use.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { StorageError } from '../../src/errors/index.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints, startChild, tempDir } from './helpers.js';
import { storageSuite } from './suite.js';

// Each case gets its own file, and a clock of its own that stands still
// until the case moves it: heartbeats go stale by advanceClock, not by waiting.
const suiteTmp = tempDir();
let suiteN = 0;
storageSuite(
  'sqlite',
  async () => {
    const path = join(suiteTmp.dir, `t${suiteN++}`, 'study.db');
    let now = Date.now();
    const clock = () => now;
    const storage = openSqliteStorage(path, { clock });
    return {
      storage,
      address: path,
      reopen: async () => openSqliteStorage(path, { clock }),
      advanceClock: async (seconds) => {
        now += seconds * 1000;
      },
      cleanup: async () => {
        await storage.close();
      },
    };
  },
  { childBackend: 'sqlite' },
);
after(() => suiteTmp.cleanup());

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('SQLite file', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('creates parent folders and Optuna schema at v3.2.0.a in WAL mode', async () => {
    const path = join(tmp.dir, 'deep', 'er', 'study.sqlite3');
    const storage = openSqliteStorage(path);
    await storage.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.prepare('SELECT version_num FROM alembic_version').all(), [{ version_num: 'v3.2.0.a' }]);
      assert.deepEqual(db.prepare('SELECT * FROM version_info').all(), [
        { version_info_id: 1, schema_version: 12, library_version: '3.2.0' },
      ]);
      const indexes = db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials'")
        .all();
      assert.deepEqual(indexes, [
        { name: 'trials_study_id_key', sql: 'CREATE INDEX trials_study_id_key ON trials (study_id)' },
        {
          name: 'iae_trials_study_state_number',
          sql: 'CREATE INDEX iae_trials_study_state_number ON trials (study_id, state, number)',
        },
      ]);
    } finally {
      db.close();
    }
  });

  it("stores rows in Optuna's encoding: categorical indices, enum names, naive UTC timestamps, JSON text", async () => {
    const path = join(tmp.dir, 'rows.sqlite3');
    const storage = openSqliteStorage(path);
    const s = await storage.openStudy('rows', { search_space: { model: ['CAE', 'IAE-LSTM-KL'] } });
    const [p0, p1] = makePoints(2);
    await storage.enqueuePoints(s.id, [p0, p1], DISTRIBUTIONS);
    const t = (await storage.claimTrial(s.id, 'w'))!;
    await storage.setIntermediateValue(t.id, 1, NaN);
    await storage.setIntermediateValue(t.id, 2, 0.5);
    await storage.finishTrial(t.id, TrialState.COMPLETE, Infinity);
    await storage.close();

    const db = new Database(path, { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT direction, objective FROM study_directions').all(), [
        { direction: 'MAXIMIZE', objective: 0 },
      ]);
      assert.deepEqual(db.prepare('SELECT "key", value_json FROM study_system_attributes').all(), [
        { key: 'search_space', value_json: '{"model": ["CAE", "IAE-LSTM-KL"]}' },
      ]);
      const params = db
        .prepare(
          'SELECT param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ? ORDER BY param_id',
        )
        .all(t.id) as { param_name: string; param_value: number; distribution_json: string }[];
      const model = params.find((r) => r.param_name === 'model')!;
      assert.equal(model.param_value, 0);
      assert.equal(
        model.distribution_json,
        '{"name": "CategoricalDistribution", "attributes": {"choices": ["CAE", "IAE-LSTM-KL", "DeepSVDD"]}}',
      );
      const contamination = params.find((r) => r.param_name === 'contamination')!;
      assert.equal(
        contamination.distribution_json,
        '{"name": "CategoricalDistribution", "attributes": {"choices": [0, 0.05, 0.1]}}',
      );
      assert.deepEqual(
        params.map((r) => r.param_name),
        Object.keys(p0.params),
      );
      // The second point (IAE-LSTM-KL) has its own keys, and model index 1.
      const p1Params = db
        .prepare(
          "SELECT param_name, param_value FROM trial_params p JOIN trials t USING (trial_id) WHERE t.number = 1 AND param_name IN ('model', 'nu', 'lambdaKl')",
        )
        .all();
      assert.deepEqual(
        new Set(p1Params.map((r) => JSON.stringify(r))),
        new Set([
          JSON.stringify({ param_name: 'model', param_value: 1 }),
          JSON.stringify({ param_name: 'lambdaKl', param_value: 2 }),
          JSON.stringify({ param_name: 'nu', param_value: 1 }),
        ]),
      );
      assert.deepEqual(db.prepare('SELECT DISTINCT typeof(param_value) AS t FROM trial_params').all(), [{ t: 'real' }]);

      const trial = db
        .prepare('SELECT number, state, datetime_start, datetime_complete FROM trials WHERE trial_id = ?')
        .get(t.id) as Record<string, string>;
      assert.equal(trial.state, 'COMPLETE');
      const stamp = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
      assert.match(trial.datetime_start, stamp);
      assert.match(trial.datetime_complete, stamp);
      // Naive UTC: the stored wall clock is within a minute of UTC now.
      assert.ok(Math.abs(Date.parse(trial.datetime_complete.replace(' ', 'T') + 'Z') - Date.now()) < 60_000);
      assert.deepEqual(db.prepare('SELECT state FROM trials WHERE number = 1').get(), { state: 'WAITING' });
      assert.deepEqual(db.prepare('SELECT value, value_type FROM trial_values').all(), [
        { value: null, value_type: 'INF_POS' },
      ]);
      assert.deepEqual(
        db
          .prepare(
            'SELECT step, intermediate_value, intermediate_value_type FROM trial_intermediate_values ORDER BY step',
          )
          .all(),
        [
          { step: 1, intermediate_value: null, intermediate_value_type: 'NAN' },
          { step: 2, intermediate_value: 0.5, intermediate_value_type: 'FINITE' },
        ],
      );
      assert.deepEqual(
        db.prepare('SELECT "key", value_json FROM trial_system_attributes WHERE trial_id = ? ORDER BY "key"').all(t.id),
        [
          { key: 'grid_point', value_json: JSON.stringify(p0.id) },
          { key: 'worker', value_json: '"w"' },
        ],
      );
      assert.match(
        (db.prepare('SELECT heartbeat FROM trial_heartbeats').get() as { heartbeat: string }).heartbeat,
        stamp,
      );
    } finally {
      db.close();
    }
  });

  // Its speed is measured in bench/storage.ts and bench/grid-size.ts, not asserted here.
  it('enqueues 3000 points in one transaction, and again adds none', async () => {
    const storage = openSqliteStorage(join(tmp.dir, 'big.sqlite3'));
    const s = await storage.openStudy('big', {});
    assert.deepEqual(await storage.enqueuePoints(s.id, makePoints(3000), DISTRIBUTIONS), { added: 3000, present: 0 });
    assert.deepEqual(await storage.enqueuePoints(s.id, makePoints(3000), DISTRIBUTIONS), { added: 0, present: 3000 });
    await storage.close();
  });

  it('a file written before the grid point index gets it on the next writable open, and its points are still found', async () => {
    const path = join(tmp.dir, 'old-index.sqlite3');
    const storage = openSqliteStorage(path);
    const s = await storage.openStudy('old', {});
    await storage.enqueuePoints(s.id, makePoints(5), DISTRIBUTIONS);
    await storage.close();
    const indexNames = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'iae_%' ORDER BY name")
          .pluck()
          .all();
      } finally {
        db.close();
      }
    };
    const db = new Database(path);
    db.exec('DROP INDEX iae_grid_point_attrs');
    db.close();
    assert.deepEqual(indexNames(), ['iae_trials_study_state_number']);
    const again = openSqliteStorage(path);
    assert.deepEqual(indexNames(), ['iae_grid_point_attrs', 'iae_trials_study_state_number']);
    assert.deepEqual(await again.enqueuePoints(s.id, makePoints(7), DISTRIBUTIONS), { added: 2, present: 5 });
    await again.close();
  });

  it('a read-only open polls while another process writes, and neither sees SQLITE_BUSY', async () => {
    const path = join(tmp.dir, 'monitored.sqlite3');
    const storage = openSqliteStorage(path);
    const s = await storage.openStudy('mon', {});
    await storage.enqueuePoints(s.id, makePoints(3000), DISTRIBUTIONS);
    // A second writer connection that never waits for a lock: any lock the
    // monitor took would make it throw SQLITE_BUSY at once.
    const impatient = new Database(path, { timeout: 0 });
    const probe = impatient.prepare(
      'INSERT INTO study_user_attributes (study_id, "key", value_json) VALUES (?, \'probe\', ?) ' +
        'ON CONFLICT (study_id, "key") DO UPDATE SET value_json = excluded.value_json',
    );
    const monitor = startChild(['monitor', 'sqlite', path, 'mon', '20']);
    await monitor.ready;
    monitor.go();
    let done = false;
    void monitor.exit.then(() => (done = true));
    let writes = 0;
    try {
      while (!done) {
        for (let i = 0; i < 20; i++) {
          const t = await storage.claimTrial(s.id, 'writer');
          if (!t) break;
          await storage.setIntermediateValue(t.id, 1, 0.5);
          await storage.finishTrial(t.id, TrialState.COMPLETE, 0.5);
          impatient.transaction(() => probe.run(s.id, String(writes))).immediate();
          writes++;
        }
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      impatient.close();
    }
    const report = (await monitor.report) as { polls: number; completeCounts: number[] };
    const exit = await monitor.exit;
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(writes > 0, 'the writer wrote while the monitor polled');
    assert.ok(report.polls >= 20, `monitor polled ${report.polls} times`);
    assert.ok(report.completeCounts.length >= 5, `the monitor saw progress: ${report.completeCounts.join(',')}`);
    await storage.close();
  });

  it('a read-only open refuses writes and never creates or changes a file', async () => {
    const missing = join(tmp.dir, 'nope', 'missing.sqlite3');
    assert.throws(
      () => openSqliteStorage(missing, { readonly: true }),
      (e: unknown) => e instanceof StorageError && e.message.includes(missing) && /no such database/.test(e.message),
    );
    assert.equal(existsSync(missing), false);

    const path = join(tmp.dir, 'ro.sqlite3');
    const w = openSqliteStorage(path);
    const s = await w.openStudy('ro', {});
    await w.enqueuePoints(s.id, makePoints(3), DISTRIBUTIONS);
    await w.close();
    const ro = openSqliteStorage(path, { readonly: true });
    try {
      assert.equal((await ro.getTrials(s.id)).length, 3);
      await assert.rejects(
        async () => await ro.claimTrial(s.id, 'x'),
        (e: unknown) => e instanceof StorageError && /read-only/.test(e.message),
      );
      await assert.rejects(async () => await ro.openStudy('new', {}), StorageError);
      assert.deepEqual(await ro.countTrials(s.id), { 0: 0, 1: 0, 2: 0, 3: 0, 4: 3 });
    } finally {
      await ro.close();
    }
  });

  it('refuses a file written by an older Optuna revision, naming it and the upgrade, and leaves it untouched', async () => {
    const path = join(tmp.dir, 'optuna31.db');
    execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, optuna; optuna.logging.set_verbosity(optuna.logging.WARNING); optuna.create_study(storage="sqlite:///" + sys.argv[1], study_name="s")',
        path,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const before = sha(path);
    for (const readonly of [false, true]) {
      assert.throws(
        () => openSqliteStorage(path, { readonly }),
        (e: unknown) =>
          e instanceof StorageError &&
          e.message.includes(path) &&
          e.message.includes('v3.0.0.d') &&
          e.message.includes(`optuna storage upgrade --storage sqlite:///${path}`) &&
          /new --db file/.test(e.message),
      );
    }
    assert.equal(sha(path), before);
    assert.equal(existsSync(`${path}-wal`), false);
  });

  it('refuses an unknown (newer) revision', async () => {
    const path = join(tmp.dir, 'newer.sqlite3');
    await openSqliteStorage(path).close();
    const db = new Database(path);
    db.prepare("UPDATE alembic_version SET version_num = 'v9.0.0.a'").run();
    db.close();
    assert.throws(
      () => openSqliteStorage(path),
      (e: unknown) =>
        e instanceof StorageError && e.message.includes(path) && /v9\.0\.0\.a.*newer Optuna/.test(e.message),
    );
  });

  it('refuses a file that is not SQLite, and an SQLite file without Optuna tables, leaving both untouched', async () => {
    const garbage = join(tmp.dir, 'garbage.db');
    writeFileSync(garbage, 'this is a study file, not a database\n'.repeat(200));
    const before = sha(garbage);
    for (const readonly of [false, true]) {
      assert.throws(
        () => openSqliteStorage(garbage, { readonly }),
        (e: unknown) =>
          e instanceof StorageError && e.message.includes(garbage) && /not an SQLite database/.test(e.message),
      );
    }
    assert.equal(sha(garbage), before);

    const foreign = join(tmp.dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
    db.close();
    const fBefore = sha(foreign);
    assert.throws(
      () => openSqliteStorage(foreign),
      (e: unknown) =>
        e instanceof StorageError &&
        e.message.includes(foreign) &&
        /not an Optuna study database.*invoices/.test(e.message),
    );
    assert.equal(sha(foreign), fBefore);
  });

  it('takes an existing empty file as a new database', async () => {
    const path = join(tmp.dir, 'empty.db');
    writeFileSync(path, '');
    const storage = openSqliteStorage(path);
    assert.equal((await storage.openStudy('e', {})).name, 'e');
    await storage.close();
    assert.throws(() => openSqliteStorage(join(tmp.dir, 'empty2.db'), { readonly: true }), StorageError);
  });
});
