// Interop with the real Optuna on PostgreSQL (/usr/bin/python3 with Debian's
// python3-optuna and python3-psycopg2): Optuna loads a study we wrote, field by
// field; we read what Optuna writes; trials Optuna enqueues or runs are never
// ours; and our tables, types and constraints are the ones Optuna creates.
// No skipping: without Optuna or psycopg2 these tests fail and say what to install.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { ParamValue, TrialParams } from '../../src/grid/expand.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import { pyJsonLoads } from '../../src/storage/pyjson.js';
import type { FrozenTrial, JsonValue, Storage } from '../../src/storage/storage.js';
import { TRIAL_STATE_NAMES, TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints } from './helpers.js';
import { optuna } from './optuna.js';
import { startPgServer, type PgServer } from './pg-server.js';

interface OptunaTrial {
  number: number;
  state: string;
  params: Record<string, ParamValue>;
  distributions: Record<string, string>;
  value: number | null;
  intermediate_values: Record<string, number>;
  user_attrs: Record<string, JsonValue>;
  system_attrs: Record<string, JsonValue>;
  datetime_start: string | null;
  datetime_complete: string | null;
}
interface OptunaDump {
  direction: string;
  system_attrs: Record<string, JsonValue>;
  trials: OptunaTrial[];
}

const naive = (d: Date | null): string | null => (d ? d.toISOString().replace('T', ' ').slice(0, 23) : null);

function requirePsycopg2(): void {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import psycopg2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    assert.fail(
      `/usr/bin/python3 cannot import psycopg2 (${(err as Error).message.split('\n')[0]}): Optuna reaches PostgreSQL through it. ` +
        'Install it with `apt-get install python3-psycopg2` (bash scripts/setup.sh --test does).',
    );
  }
}

/** Every column, constraint, index, enum type and sequence of the public schema, as comparable text. */
async function catalog(server: PgServer, db: string): Promise<Map<string, string>> {
  const r = await server.sql(
    db,
    `SELECT 'column ' || table_name || '.' || column_name AS k,
            concat_ws(' ', data_type, udt_name, is_nullable, column_default, character_maximum_length, numeric_precision) AS v
       FROM information_schema.columns WHERE table_schema = 'public'
     UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL SELECT 'index ' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL SELECT 'type ' || t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
     UNION ALL SELECT 'sequence ' || sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = 'public'`,
  );
  return new Map((r.rows as { k: string; v: string }[]).map((row) => [row.k, row.v]));
}

describe('Optuna interop on PostgreSQL (real optuna + psycopg2 via /usr/bin/python3)', () => {
  let server: PgServer;
  const opened: Storage[] = [];
  before(async () => {
    requirePsycopg2();
    server = await startPgServer();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });

  it('Optuna loads a study we wrote with the same trials, field by field; we read a trial Optuna adds', async () => {
    const url = server.url(await server.freshDatabase('interop'));
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    const searchSpace = { model: ['CAE', 'IAE-LSTM-KL'], contamination: [0, 0.05, 0.1] };
    const study = await storage.openStudy('interop', { search_space: searchSpace, definition: 'sha:abc' });
    const points = makePoints(8);
    await storage.enqueuePoints(study.id, points, DISTRIBUTIONS);
    const claim = async () => (await storage.claimTrial(study.id, 'host:0'))!;

    const t0 = await claim();
    for (const [i, v] of [0.5, 0.625, NaN, 0.75].entries()) await storage.setIntermediateValue(t0.id, i + 1, v);
    await storage.setUserAttrs(t0.id, {
      auroc: { svdd: 0.75, rec: 0.5, 'svdd+rec': 0.7 },
      losses: { total: [1.5, 1.25, NaN, 1] },
      backend: 'cpu',
      note: 'λ ünï',
    });
    await storage.finishTrial(t0.id, TrialState.COMPLETE, 0.75);
    const t1 = await claim();
    await storage.setIntermediateValue(t1.id, 1, 0.4);
    await storage.setUserAttrs(t1.id, { error: 'Error: out of memory\n    at train' });
    await storage.finishTrial(t1.id, TrialState.FAIL);
    const t2 = await claim();
    await storage.setIntermediateValue(t2.id, 1, Infinity);
    await storage.finishTrial(t2.id, TrialState.COMPLETE, 0.9);
    const t3 = await claim();
    await storage.setIntermediateValue(t3.id, 1, 0.3);
    await storage.finishTrial(t3.id, TrialState.PRUNED, 0.3);
    await claim(); // t4 stays RUNNING
    await storage.requeueTrial((await claim()).id); // t5 back to WAITING

    const ours = await storage.getTrials(study.id);
    assert.deepEqual(
      ours.map((t) => TRIAL_STATE_NAMES[t.state]),
      ['COMPLETE', 'FAIL', 'COMPLETE', 'PRUNED', 'RUNNING', 'WAITING', 'WAITING', 'WAITING'],
    );

    const dump = pyJsonLoads(optuna('dump', url, 'interop')) as unknown as OptunaDump;
    assert.equal(dump.direction, 'MAXIMIZE');
    assert.deepEqual(dump.system_attrs, { search_space: searchSpace, definition: 'sha:abc' });
    assert.equal(dump.trials.length, ours.length);
    for (const [i, theirs] of dump.trials.entries()) {
      const mine: FrozenTrial = ours[i];
      const at = `trial ${mine.number}`;
      assert.equal(theirs.number, mine.number, at);
      assert.equal(theirs.state, TRIAL_STATE_NAMES[mine.state], at);
      assert.deepEqual(theirs.params, { ...mine.params }, at);
      assert.deepEqual(theirs.params, { ...points[i].params }, `${at}: what we enqueued`);
      for (const [k, json] of Object.entries(theirs.distributions)) {
        assert.deepEqual(
          JSON.parse(json),
          { name: 'CategoricalDistribution', attributes: { choices: DISTRIBUTIONS[k] } },
          `${at} ${k}`,
        );
      }
      assert.equal(theirs.value, mine.value, at);
      assert.deepEqual(
        Object.entries(theirs.intermediate_values).map(([k, v]) => [Number(k), v]),
        [...mine.intermediate.entries()],
        at,
      );
      assert.deepEqual(theirs.user_attrs, mine.userAttrs, at);
      assert.deepEqual(theirs.system_attrs, mine.systemAttrs, at);
      assert.equal(theirs.datetime_start?.slice(0, 23) ?? null, naive(mine.startedAt), at);
      assert.equal(theirs.datetime_complete?.slice(0, 23) ?? null, naive(mine.completedAt), at);
    }
    assert.deepEqual(dump.trials[0].intermediate_values, { 1: 0.5, 2: 0.625, 3: NaN, 4: 0.75 });
    assert.equal(dump.trials[2].intermediate_values[1], Infinity);
    assert.ok(Number.isNaN((dump.trials[0].user_attrs.losses as Record<string, number[]>).total[2]));
    assert.equal(dump.trials[0].user_attrs.note, 'λ ünï');
    assert.equal(dump.trials[1].value, null);
    assert.equal(dump.trials[3].value, 0.3);
    assert.equal(dump.trials[5].datetime_start, null);

    // Optuna writes into our database (checking its categorical choices against ours), and we read it.
    optuna(
      'add',
      url,
      'interop',
      JSON.stringify({ model: 'DeepSVDD', model_choices: DISTRIBUTIONS.model, lr: 0.01, value: 0.42 }),
    );
    const added = (await storage.getTrials(study.id)).at(-1)!;
    assert.equal(added.number, 8);
    assert.equal(added.state, TrialState.COMPLETE);
    assert.deepEqual({ ...added.params }, { model: 'DeepSVDD', lr: 0.01 });
    assert.equal(added.value, 0.42);
    assert.deepEqual(added.userAttrs, { by: 'optuna' });
    assert.equal(added.gridPoint, '');
    assert.deepEqual(await storage.enqueuePoints(study.id, points, DISTRIBUTIONS), { added: 1, present: 7 });
    assert.equal((await storage.claimTrial(study.id, 'w'))?.number, 5);
  });

  it('a study copied in with importTrial reads back the same through Optuna', async () => {
    const url = server.url(await server.freshDatabase('import'));
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    const study = await storage.openStudy('copied', { definition: 'sha:copy' });
    const started = new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 250));
    await storage.importTrial(study.id, {
      state: TrialState.COMPLETE,
      value: 0.8125,
      params: { model: 'CAE', normalClass: 4 } as unknown as TrialParams,
      distributions: { model: DISTRIBUTIONS.model, normalClass: DISTRIBUTIONS.normalClass },
      intermediate: new Map([
        [1, 0.5],
        [2, NaN],
      ]),
      userAttrs: { auroc: { svdd: 0.8125 } },
      systemAttrs: { grid_point: 'abc', worker: 'old:1' },
      startedAt: started,
      completedAt: new Date(started.getTime() + 61_000),
    });
    const dump = pyJsonLoads(optuna('dump', url, 'copied')) as unknown as OptunaDump;
    const [t] = dump.trials;
    assert.equal(t.state, 'COMPLETE');
    assert.equal(t.value, 0.8125);
    assert.deepEqual(t.params, { model: 'CAE', normalClass: 4 });
    assert.deepEqual(t.intermediate_values, { 1: 0.5, 2: NaN });
    assert.deepEqual(t.system_attrs, { grid_point: 'abc', worker: 'old:1' });
    assert.equal(t.datetime_start, '2025-06-01 12:00:00.250000');
    assert.equal(t.datetime_complete, '2025-06-01 12:01:01.250000');
  });

  it('a trial Optuna enqueues, runs or adds by GridSampler is never claimed or failed as ours', async () => {
    const url = server.url(await server.freshDatabase('foreign'));
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    const s = await storage.openStudy('foreign', {});
    const points = makePoints(2);
    await storage.enqueuePoints(s.id, points, DISTRIBUTIONS);
    for (let i = 0; i < points.length; i++) {
      const t = (await storage.claimTrial(s.id, 'host:1'))!;
      await storage.finishTrial(t.id, TrialState.COMPLETE, 0.6 + 0.05 * i);
    }
    const choices = Object.fromEntries(Object.keys(points[0].params).map((k) => [k, DISTRIBUTIONS[k]]));
    optuna('gridsample', url, 'foreign', JSON.stringify({ params: points[0].params, choices, value: 0.999 }));
    optuna('ask', url, 'foreign');
    optuna('enqueue', url, 'foreign', JSON.stringify({ model: 'CAE' }));
    const all = await storage.getTrials(s.id);
    assert.deepEqual(
      all
        .slice(points.length)
        .map((t) => TRIAL_STATE_NAMES[t.state])
        .sort(),
      ['COMPLETE', 'RUNNING', 'WAITING'],
    );
    assert.equal(await storage.claimTrial(s.id, 'host:2'), null);
    assert.deepEqual(await storage.failStaleTrials(s.id, 0), []);
    assert.deepEqual(await storage.countTrials(s.id, 'foreign'), { 0: 1, 1: 1, 2: 0, 3: 0, 4: 1 });
    assert.deepEqual(await storage.countTrials(s.id, 'grid'), { 0: 0, 1: 2, 2: 0, 3: 0, 4: 0 });
  });

  it("our tables are Optuna's: the same columns, enum types, constraints and indexes as Optuna's own create_all, plus ours", async () => {
    const theirs = await server.createDatabase('theirs');
    optuna('create', server.url(theirs), 's');
    const ours = await server.createDatabase('ours');
    await (await openPostgresStorage(server.url(ours))).close();
    const a = await catalog(server, theirs);
    const b = await catalog(server, ours);
    assert.ok(a.size > 50, `Optuna created its schema (${a.size} objects)`);
    for (const [key, def] of a) assert.equal(b.get(key), def, `${key} differs from Optuna's`);
    assert.deepEqual([...b.keys()].filter((k) => !a.has(k)).sort(), [
      'column iae_artifacts.bytes',
      'column iae_artifacts.created_at',
      'column iae_artifacts.key',
      'column iae_artifacts.sha256',
      'column iae_leases.expires_at',
      'column iae_leases.holder',
      'column iae_leases.key',
      'constraint iae_artifacts iae_artifacts_pkey',
      'constraint iae_leases iae_leases_pkey',
      'index iae_artifacts_pkey',
      'index iae_grid_point_attrs',
      'index iae_leases_pkey',
      'index iae_trials_study_state_number',
      'index trials_study_id_key',
    ]);
    // Optuna 3.1 stamps its own head; ours is v3.2.0.a (one index more, trials_study_id_key).
    assert.equal((await server.sql(ours, 'SELECT version_num FROM alembic_version')).rows[0].version_num, 'v3.2.0.a');
    assert.deepEqual((await server.sql(ours, 'SELECT * FROM version_info')).rows, [
      { version_info_id: 1, schema_version: 12, library_version: '3.2.0' },
    ]);
  });
});
