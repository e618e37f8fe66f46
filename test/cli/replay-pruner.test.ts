// sweep replay-pruner: a study run to the end, stored in a real SQLite file,
// replayed through pruners; the numbers are worked out by hand (the same
// curves as the first case of test/pruners/replay.test.ts). Bad input is
// refused with the field to fix, through the entry point too (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplayPruner } from '../../src/cli/commands/replay-pruner/index.js';
import { UserInputError } from '../../src/errors/index.js';
import { expandGrid, searchSpace, type ParamValue } from '../../src/grid/expand.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import type { JsonValue } from '../../src/storage/storage.js';
import { TrialState } from '../../src/trial/state.js';
import type { StudyInput } from '../../src/study/schema.js';
import { studyOf } from '../report/fixtures.js';
import { runCli } from '../e2e/helpers.js';

const SH = '{"kind":"successive-halving","minResource":1,"reductionFactor":2}';

/** A study of three points of one class, each run to the end with the given curve, in a fresh SQLite file. */
async function storedStudy(
  curves: readonly (readonly number[])[],
  o: { pruner?: StudyInput['pruner']; lastState?: TrialState } = {},
) {
  const { study, summary } = studyOf({
    name: 'rp',
    dataset: { name: 'fashion-mnist' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0], boundary: ['hard'], lambdaKl: [0.001, 0.01, 0.1] },
    training: { pretrainEpochs: 0, jointEpochs: 3 },
    workers: 1,
    ...(o.pruner ? { pruner: o.pruner } : {}),
  });
  const db = join(mkdtempSync(join(tmpdir(), 'replay-pruner-')), 'rp.sqlite3');
  const storage = openSqliteStorage(db);
  try {
    const s = await storage.openStudy('rp', summary.systemAttrs as Record<string, JsonValue>);
    const space = searchSpace(study.grid);
    for (const [i, point] of expandGrid(study.grid).entries()) {
      const curve = curves[i]!;
      const state = i === curves.length - 1 ? (o.lastState ?? TrialState.COMPLETE) : TrialState.COMPLETE;
      await storage.importTrial(s.id, {
        state,
        value: curve[curve.length - 1]!,
        params: point.params,
        distributions: Object.fromEntries(
          Object.entries(point.params).map(([k, v]) => [k, space[k] ?? [v as ParamValue]]),
        ),
        intermediate: new Map(curve.map((v, e) => [e + 1, v])),
        userAttrs: {},
        systemAttrs: { grid_point: point.id },
        startedAt: null,
        completedAt: null,
      });
    }
  } finally {
    await storage.close();
  }
  return db;
}

const CURVES = [
  [0.5, 0.6, 0.7],
  [0.4, 0.9, 0.95],
  [0.6, 0.5, 0.4],
];

test('replays each pruner over the stored curves: epochs saved, trials pruned, the best point lost', async () => {
  const db = await storedStudy(CURVES);
  const lines: string[] = [];
  const r = await runReplayPruner({
    target: 'rp',
    db,
    pruners: [SH, '{"kind":"median","minPeers":5}'],
    write: (l) => lines.push(l),
  });
  assert.equal(r.trials, 3);
  assert.equal(r.workers, 1, "the study's workers");
  const [sh, median] = r.outcomes;
  // Successive halving: the second trial stops after epoch 1, the third after epoch 2.
  assert.deepEqual([sh!.jointEpochs, sh!.fullJointEpochs, sh!.pruned], [6, 9, 2]);
  assert.equal(sh!.groups.length, 1);
  assert.equal(sh!.groups[0]!.label, 'IAE-LSTM-KL(h) class 0 (t-shirt)');
  assert.equal(sh!.groups[0]!.best.value, 0.95);
  assert.equal(sh!.groups[0]!.kept!.value, 0.7);
  assert.ok(Math.abs(sh!.worstChange + 0.25) < 1e-12);
  // The median pruner never has its 5 finished peers: it saves nothing and keeps the best.
  assert.deepEqual([median!.jointEpochs, median!.pruned, median!.worstChange], [9, 0, 0]);
  const text = lines.join('\n');
  assert.match(
    text,
    /joint epochs 6 of 9 \(1\.50x fewer\), 2 of 3 trials pruned; largest fall of a best AUROC 0\.2500/,
  );
  assert.match(text, /class 0 \(t-shirt\): best 0\.9500 \(trial 1\) -> 0\.7000 \(trial 0, -0\.2500\)/);
  assert.match(text, /class 0 \(t-shirt\): best 0\.9500 \(trial 1\) kept/);
  // --workers overrides the study's: two workers meet epoch 1 together, and the same trials stop here.
  const two = await runReplayPruner({ target: 'rp', db, pruners: [SH], workers: 2, json: true, write: () => {} });
  assert.equal(two.workers, 2);

  // A trial of a point not in the grid (as Optuna could add) is left out, and said so.
  const storage = openSqliteStorage(db);
  try {
    const s = (await storage.getStudy('rp'))!;
    const [t] = await storage.getTrials(s.id);
    await storage.importTrial(s.id, {
      state: TrialState.COMPLETE,
      value: 0.99,
      params: { ...t!.params, lambdaKl: 0.5 },
      distributions: { ...t!.distributions, lambdaKl: [0.001, 0.01, 0.1, 0.5] },
      intermediate: new Map([[3, 0.99]]),
      userAttrs: {},
      systemAttrs: {},
      startedAt: null,
      completedAt: null,
    });
  } finally {
    await storage.close();
  }
  const out: string[] = [];
  const withForeign = await runReplayPruner({ target: 'rp', db, pruners: [SH], write: (l) => out.push(l) });
  assert.deepEqual(
    [withForeign.trials, withForeign.leftOut, withForeign.outcomes[0]!.groups[0]!.best.value],
    [3, 1, 0.95],
  );
  assert.match(out.join('\n'), /1 trial\(s\) not of the grid in force left out/);
});

test("without --pruner it replays the study's own; bad input names the field to fix", async () => {
  const own = await storedStudy(CURVES, { pruner: { kind: 'successive-halving', reductionFactor: 2 } });
  const r = await runReplayPruner({ target: 'rp', db: own, pruners: [], write: () => {} });
  assert.deepEqual([r.outcomes.length, r.outcomes[0]!.pruned], [1, 2]);

  const db = await storedStudy(CURVES);
  const refused = async (pruners: string[], message: RegExp, dbPath = db) => {
    const err = await runReplayPruner({ target: 'rp', db: dbPath, pruners, write: () => {} }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof UserInputError, String(err));
    assert.match(err.message, message);
  };
  await refused([], /--pruner: the study has no pruner: give one or more/);
  await refused(['{kind: median}'], /--pruner: not JSON: \{kind: median\}/);
  await refused(['{"kind":"median","warmup":1}'], /--pruner: .*"warmup"/);
  await refused(['{"kind":"successive-halving","reductionFactor":1}'], /--pruner: reductionFactor: .*2/);
  const unfinished = await storedStudy(CURVES, { lastState: TrialState.PRUNED });
  await refused([SH], /study "rp": 1 trial\(s\) did not run to the end .*--rerun-pruned/, unfinished);
});

test('through the entry point: the report on stdout, bad input exit 2', { timeout: 60_000 }, async () => {
  const db = await storedStudy(CURVES);
  const ok = runCli(['replay-pruner', 'rp', '--db', db, '--pruner', SH]);
  assert.equal((await ok.done).code, 0, ok.stderr());
  assert.match(ok.stdout(), /2 of 3 trials pruned/);
  const bad = runCli(['replay-pruner', 'rp', '--db', db, '--pruner', '{"kind":"mean"}']);
  assert.equal((await bad.done).code, 2);
  assert.match(bad.stderr(), /--pruner/);
});
