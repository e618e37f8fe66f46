// Interop with the real Optuna library (/usr/bin/python3, Debian's
// python3-optuna): what our storage writes, Optuna reads as the same study;
// what Optuna writes into our file, we read; and our tables are Optuna's.
// No skipping: without Optuna these tests fail and say what to install.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ParamValue } from '../../src/grid/expand.js';
import { openSqliteStorage, type FrozenTrial, type JsonValue } from '../../src/storage/index.js';
import { pyJsonLoads } from '../../src/storage/pyjson.js';
import { TRIAL_STATE_NAMES, TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints, tempDir } from './helpers.js';
import { optuna } from './optuna.js';
import { Study } from '../../src/study/schema.js';
import { expandGrid, searchSpace } from '../../src/grid/expand.js';
import { buildReport, renderMarkdown } from '../../src/report/index.js';
import { statusOf } from '../../src/cli/commands/status/index.js';

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

/** Optuna (< 4) reads the naive stored timestamp as is; compare to the ms our Date keeps. */
const naive = (d: Date | null): string | null => (d ? d.toISOString().replace('T', ' ').slice(0, 23) : null);

describe('Optuna interop (real optuna via /usr/bin/python3)', () => {
  const tmp = tempDir('iae-interop-');
  after(() => tmp.cleanup());

  it('Optuna loads a study we wrote with the same trials, field by field; we read a trial Optuna adds', async () => {
    const path = join(tmp.dir, 'ours.sqlite3');
    const storage = openSqliteStorage(path);
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
    await storage.setIntermediateValue(t2.id, 1, 0.9);
    await storage.finishTrial(t2.id, TrialState.COMPLETE, 0.9);
    const t3 = await claim();
    await storage.setIntermediateValue(t3.id, 1, 0.3);
    await storage.finishTrial(t3.id, TrialState.PRUNED, 0.3);
    await claim(); // t4 stays RUNNING
    await storage.requeueTrial((await claim()).id); // t5 back to WAITING

    const ours = await storage.getTrials(study.id);
    await storage.close();
    assert.deepEqual(
      ours.map((t) => TRIAL_STATE_NAMES[t.state]),
      ['COMPLETE', 'FAIL', 'COMPLETE', 'PRUNED', 'RUNNING', 'WAITING', 'WAITING', 'WAITING'],
    );

    const dump = pyJsonLoads(optuna('dump', path, 'interop')) as unknown as OptunaDump;
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
    // Spot checks against the literal values written above, not only against our own reading.
    assert.deepEqual(dump.trials[0].intermediate_values, { 1: 0.5, 2: 0.625, 3: NaN, 4: 0.75 });
    assert.equal(dump.trials[0].value, 0.75);
    assert.equal((dump.trials[0].user_attrs.auroc as Record<string, number>).svdd, 0.75);
    assert.ok(Number.isNaN((dump.trials[0].user_attrs.losses as Record<string, number[]>).total[2]));
    assert.equal(dump.trials[0].user_attrs.note, 'λ ünï');
    assert.equal(dump.trials[1].user_attrs.error, 'Error: out of memory\n    at train');
    assert.equal(dump.trials[1].value, null);
    assert.equal(dump.trials[3].value, 0.3);
    assert.equal(dump.trials[5].datetime_start, null);

    // Optuna writes into our file (checking its categorical choices against ours), and we read it.
    optuna(
      'add',
      path,
      'interop',
      JSON.stringify({ model: 'DeepSVDD', model_choices: DISTRIBUTIONS.model, lr: 0.01, value: 0.42 }),
    );
    const again = openSqliteStorage(path);
    try {
      const added = (await again.getTrials(study.id)).at(-1)!;
      assert.equal(added.number, 8);
      assert.equal(added.state, TrialState.COMPLETE);
      assert.deepEqual({ ...added.params }, { model: 'DeepSVDD', lr: 0.01 });
      assert.equal(added.value, 0.42);
      assert.deepEqual(added.userAttrs, { by: 'optuna' });
      assert.equal(added.gridPoint, '');
      // Our queue is unaffected by a trial without a grid point.
      assert.deepEqual(await again.enqueuePoints(study.id, points, DISTRIBUTIONS), { added: 1, present: 7 });
      assert.equal((await again.claimTrial(study.id, 'w'))?.number, 5);
    } finally {
      await again.close();
    }
  });

  it('a trial Optuna enqueues or a GridSampler adds is never claimed, counted or reported', async () => {
    const path = join(tmp.dir, 'foreign.sqlite3');
    const study = Study.parse({
      name: 'foreign',
      dataset: { name: 'synthetic' },
      grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1], boundary: ['hard'], lambdaKl: [0.001, 0.01] },
    });
    const points = expandGrid(study.grid);
    const space = searchSpace(study.grid);
    const storage = openSqliteStorage(path);
    const s = await storage.openStudy('foreign', { definition: JSON.parse(JSON.stringify(study)) as JsonValue });
    await storage.enqueuePoints(s.id, points, space);
    // Finish every point of ours, each with AUROC 0.6 + 0.05 * index.
    for (let i = 0; i < points.length; i++) {
      const t = (await storage.claimTrial(s.id, 'host:1'))!;
      await storage.setUserAttrs(t.id, { auroc: { svdd: 0.6 + 0.05 * i }, objective_score: 'svdd' });
      await storage.finishTrial(t.id, TrialState.COMPLETE, 0.6 + 0.05 * i);
    }
    const ours = await storage.getTrials(s.id);
    await storage.close();
    const before = buildReport(
      {
        study: { name: 'foreign', systemAttrs: { definition: JSON.parse(JSON.stringify(study)) as JsonValue } },
        trials: ours,
      },
      { select: 'oracle' },
    );

    const target = ours[0]!;
    // GridSampler first: Optuna's optimize() would take the enqueued trial first.
    optuna('gridsample', path, 'foreign', JSON.stringify({ params: target.params, choices: space, value: 0.999 }));
    // A trial Optuna is running (ask() would take an enqueued trial, so before the enqueue).
    optuna('ask', path, 'foreign');
    optuna('enqueue', path, 'foreign', JSON.stringify({ model: 'IAE-LSTM-KL', normalClass: 0 }));

    const again = openSqliteStorage(path);
    try {
      const all = await again.getTrials(s.id);
      assert.deepEqual(
        all
          .slice(points.length)
          .map((t) => TRIAL_STATE_NAMES[t.state])
          .sort(),
        ['COMPLETE', 'RUNNING', 'WAITING'],
      );
      const grid = all.find((t) => t.state === TrialState.COMPLETE && t.gridPoint === '')!;
      assert.deepEqual({ ...grid.params }, { ...target.params }, 'the GridSampler ran a point we had finished');
      // Our scheduler never claims the enqueued trial; the counts keep it apart.
      assert.equal(await again.claimTrial(s.id, 'host:2'), null);
      // The trial Optuna is running, heartbeat older than 0 s: not ours to fail and queue again.
      assert.deepEqual(await again.failStaleTrials(s.id, 0), []);
      assert.equal((await again.countTrials(s.id, 'foreign'))[TrialState.RUNNING], 1);
      assert.equal((await again.countTrials(s.id, 'foreign'))[TrialState.WAITING], 1);
      assert.equal((await again.countTrials(s.id, 'foreign'))[TrialState.COMPLETE], 1);
      assert.equal((await again.countTrials(s.id, 'grid'))[TrialState.COMPLETE], points.length);
      assert.equal((await again.countTrials(s.id, 'grid'))[TrialState.WAITING], 0);

      const summary = (await again.getStudy('foreign'))!;
      const after = buildReport({ study: summary, trials: all }, { select: 'oracle' });
      // Same tables as before: the GridSampler's 0.999 did not replace our value.
      assert.deepEqual(after.tables, before.tables);
      assert.equal(after.provenance.ignored.foreign, 3);
      assert.equal(after.progress.trials, points.length);
      const md = renderMarkdown([after]);
      assert.match(md, /3 trials not from this grid, ignored/);
      assert.doesNotMatch(md, /0\.999/);
      const status = statusOf('foreign', path, summary.systemAttrs, all);
      assert.equal(status.states.RUNNING, 0, 'the trial Optuna runs is not counted as ours');
      assert.deepEqual(status.ignored, { foreign: 3, removed: 0 });
      assert.equal(status.states.COMPLETE, points.length);
      assert.deepEqual(
        status.best.map((b) => [b.label, b.normalClass, b.value]),
        [
          ['IAE-LSTM-KL(h)', 0, 0.65],
          ['IAE-LSTM-KL(h)', 1, 0.75],
        ],
        'best per class, of our trials only',
      );
    } finally {
      await again.close();
    }
  });

  it("our tables are Optuna's: same DDL as Optuna's own create_all, plus the v3.2.0.a index and ours", async () => {
    const theirsPath = join(tmp.dir, 'theirs.db');
    optuna('create', theirsPath, 's');
    const oursPath = join(tmp.dir, 'schema.sqlite3');
    await openSqliteStorage(oursPath).close();
    const objects = (path: string): Map<string, string | null> => {
      const db = new Database(path, { readonly: true });
      try {
        const rows = db.prepare('SELECT type, name, sql FROM sqlite_master').all() as {
          type: string;
          name: string;
          sql: string | null;
        }[];
        return new Map(rows.map((r) => [`${r.type} ${r.name}`, r.sql]));
      } finally {
        db.close();
      }
    };
    const theirs = objects(theirsPath);
    const ours = objects(oursPath);
    for (const [key, sql] of theirs) assert.equal(ours.get(key), sql, `${key} differs from Optuna's`);
    assert.deepEqual(
      [...ours.keys()].filter((k) => !theirs.has(k)),
      ['index trials_study_id_key', 'index iae_trials_study_state_number', 'index iae_grid_point_attrs'],
    );
  });
});
