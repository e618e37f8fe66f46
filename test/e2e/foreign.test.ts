// A study that Optuna touched, and a study whose grid shrank, through the real
// CLI: real training, real Optuna (Debian's python3-optuna) writing into our
// database, then start, status and export again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openSqliteStorage, type JsonValue } from '../../src/storage/index.js';
import { TRIAL_STATE_NAMES, TrialState } from '../../src/trial/state.js';
import { optuna } from '../storage/optuna.js';
import { runCli, tinyStudy, writeStudy } from './helpers.js';

async function read(db: string, name: string) {
  const s = openSqliteStorage(db, { readonly: true });
  try {
    const study = (await s.getStudy(name))!;
    return { attrs: study.systemAttrs, trials: await s.getTrials(study.id) };
  } finally {
    await s.close();
  }
}

async function cli(args: string[], expectCode = 0): Promise<string> {
  const r = runCli(args);
  const { code } = await r.done;
  assert.equal(code, expectCode, `sweep ${args.join(' ')}: ${r.stderr()}${r.stdout()}`);
  return r.stdout();
}

interface ExportJson {
  tables: {
    id: string;
    rows: { label: string; cells: { mean: number | null }[] }[];
    provenance: { trialsUsed: number };
  }[];
  grids: unknown[];
  progress: { trials: number; pointsExpected: number };
  provenance: { ignored: { foreign: number; removed: number }; definitions: number };
}

test(
  'trials Optuna adds never run, count or change the tables; a removed axis value leaves the export and is recorded',
  { timeout: 600_000 },
  async () => {
    const study = tinyStudy('touched', { normalClass: [0], boundary: ['hard'], lambdaKl: [0.001, 0.01] });
    const { file, db } = writeStudy(study);
    const out = join(dirname(db), 'reports');
    assert.match(await cli(['start', file, '--db', db, '--no-cache']), /sweep finished: 2 completed, 0 failed/);
    const before = await read(db, 'touched');
    const exportJson = async (dir: string): Promise<ExportJson> => {
      await cli([
        'export',
        'touched',
        '--db',
        db,
        '--out',
        dir,
        '--format',
        'json,md',
        '--select',
        'oracle',
        '--no-figures',
      ]);
      return JSON.parse(readFileSync(join(dir, 'touched.oracle.json'), 'utf8')) as ExportJson;
    };
    const clean = await exportJson(join(out, 'clean'));

    // In Python: a GridSampler trial on our first finished point (a better value
    // than ours, so it would win the oracle), then an enqueued trial.
    const target = before.trials[0]!;
    optuna(
      'gridsample',
      db,
      'touched',
      JSON.stringify({ params: target.params, choices: before.attrs.search_space as JsonValue, value: 0.999 }),
    );
    optuna('enqueue', db, 'touched', JSON.stringify({ model: 'IAE-LSTM-KL', normalClass: 0 }));

    // start again: nothing of ours to run; the enqueued trial is not claimed, nothing crashes.
    const again = await cli(['start', file, '--db', db, '--no-cache']);
    assert.match(
      again,
      /0 queued now, 2 already done or queued; .*2 trial\(s\) not from this grid \(added from Optuna\), ignored/,
    );
    assert.match(again, /sweep finished: 0 completed, 0 failed/);
    const after = await read(db, 'touched');
    const foreign = after.trials.filter((t) => t.gridPoint === '');
    assert.deepEqual(
      foreign.map((t) => TRIAL_STATE_NAMES[t.state]).sort(),
      ['COMPLETE', 'WAITING'],
      'the enqueued trial still waits for Optuna',
    );
    assert.equal(after.trials.filter((t) => t.state === TrialState.FAIL).length, 0);

    const status = await cli(['status', 'touched', '--db', db]);
    assert.match(status, /trials: 2 COMPLETE 2, RUNNING 0, WAITING 0, FAIL 0/);
    assert.match(status, /ignored: 2 trials not from this grid, ignored/);
    assert.doesNotMatch(status, /0\.9990/);

    const touched = await exportJson(join(out, 'touched'));
    assert.deepEqual(touched.tables, clean.tables, 'the GridSampler trial did not replace our result');
    assert.deepEqual(touched.provenance.ignored, { foreign: 2, removed: 0 });
    assert.match(readFileSync(join(out, 'touched', 'touched.md'), 'utf8'), /2 trials not from this grid, ignored/);

    // The study file drops lambdaKl 0.01: recorded, and the export follows the definition in force.
    writeFileSync(file, JSON.stringify({ ...study, grid: { ...(study.grid as object), lambdaKl: [0.001] } }, null, 2));
    const shrunk = await cli(['start', file, '--db', db, '--no-cache']);
    assert.match(
      shrunk,
      /definition changed since the last start: lambdaKl: removed 0\.01 \(trials of removed points stay in the database/,
    );
    const history = (await read(db, 'touched')).attrs.definition_history as { changes: string[] }[];
    assert.equal(history.length, 2);
    assert.deepEqual(history[1]!.changes, ['lambdaKl: removed 0.01']);
    const removed = await exportJson(join(out, 'shrunk'));
    assert.deepEqual(removed.provenance.ignored, { foreign: 2, removed: 1 });
    assert.equal(removed.provenance.definitions, 2);
    assert.equal(removed.progress.pointsExpected, 1);
    assert.equal(removed.progress.trials, 1);
    assert.equal(removed.tables.find((t) => t.id === 'main')!.provenance.trialsUsed, 1);
    assert.deepEqual(removed.grids, [], 'no heatmap of a removed point');
    const kept = after.trials.find((t) => t.gridPoint !== '' && t.params.lambdaKl === 0.001)!;
    assert.equal(removed.tables.find((t) => t.id === 'main')!.rows[0]!.cells[0]!.mean, kept.value);
    assert.match(
      await cli(['status', 'touched', '--db', db]),
      /1 trial of points removed from the study definition, left out/,
    );
  },
);
