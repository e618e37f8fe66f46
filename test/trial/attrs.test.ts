// The vocabulary of trial and study attributes (src/trial/attrs.ts): one case
// style, one objective rule, one reader of the stored definition, and readers
// that still understand databases written with the old camelCase keys, read
// here from a real SQLite file.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ATTR,
  completeAttrs,
  failedAttrs,
  objectiveOf,
  pretrainCacheKeyOf,
  pretrainTimingOf,
  prunedAttrs,
  readStoredDefinition,
  resultAttrs,
  STUDY_ATTR,
  TRIAL_SYSTEM_ATTR,
  trialObjective,
} from '../../src/trial/attrs.js';
import { MODEL_NAMES, modelScores } from '../../src/study/models.js';
import { Study } from '../../src/study/schema.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { expandGrid, searchSpace } from '../../src/grid/expand.js';
import { TrialState } from '../../src/trial/state.js';

const SNAKE = /^[a-z0-9_]+$/;

it('names every key in snake_case, each once', () => {
  const keys = [...Object.values(ATTR), ...Object.values(STUDY_ATTR), ...Object.values(TRIAL_SYSTEM_ATTR)];
  for (const k of keys) assert.match(k, SNAKE);
  assert.equal(new Set(keys).size, keys.length);
  const facts = resultAttrs({
    network: 'lenet',
    pretrainCache: 'miss',
    pretrainCacheKey: 'k',
    pretrainCacheError: 'e',
    pretrainNote: 'n',
    objectiveNote: 'o',
    pretrainSeconds: 1,
    jointSeconds: 2,
    evalSeconds: 0.5,
    trainedParameters: 10,
    workerThread: 1,
    radius: 0.3,
  });
  const written = [
    ...Object.keys(facts),
    ...Object.keys(completeAttrs({ auroc: { svdd: 0.7 }, attrs: facts }, 'svdd', 1.23456)),
    ...Object.keys(prunedAttrs({ epoch: 2, reason: 'r' }, 'svdd', 1, facts)),
    ...Object.keys(failedAttrs('boom', 1)),
  ];
  for (const k of written) assert.match(k, SNAKE);
  assert.equal(completeAttrs({ auroc: { svdd: 0.7 }, attrs: facts }, 'svdd', 1.23456)[ATTR.durationSeconds], 1.235);
});

it('has one objective rule: the study objective when the model has it, else its first score', () => {
  for (const m of MODEL_NAMES) {
    for (const objective of ['svdd', 'rec', 'svdd+rec'] as const) {
      const s = objectiveOf(m, objective);
      assert.equal(s, modelScores(m).includes(objective) ? objective : modelScores(m)[0]);
    }
  }
  // A stored trial is judged by what it recorded; without a record, by the rule.
  assert.equal(trialObjective({ params: { model: 'IAEAD' }, userAttrs: { objective_score: 'rec' } }, 'svdd'), 'rec');
  assert.equal(trialObjective({ params: { model: 'IAEAD' }, userAttrs: { objectiveScore: 'rec' } }, 'svdd'), 'rec');
  assert.equal(trialObjective({ params: { model: 'CAE' }, userAttrs: {} }, 'svdd'), 'rec');
});

it('reads the stored definition, as an object or as JSON text, and says why not', () => {
  const study = Study.parse({ name: 's', dataset: { name: 'synthetic' }, grid: { model: ['CAE'], normalClass: [0] } });
  assert.deepEqual(readStoredDefinition({ definition: JSON.parse(JSON.stringify(study)) }).study, study);
  assert.deepEqual(readStoredDefinition({ definition: JSON.stringify(study) }).study, study);
  assert.deepEqual(readStoredDefinition({}), { study: null, problem: null });
  assert.match(readStoredDefinition({ definition: '{not json' }).problem!, /not JSON/);
  assert.match(readStoredDefinition({ definition: { name: 's' } }).problem!, /does not validate/);
});

it('reads a database written with the old camelCase keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'attrs-'));
  try {
    const study = Study.parse({
      name: 'old',
      dataset: { name: 'synthetic' },
      grid: { model: ['IAEAD'], normalClass: [0] },
    });
    const storage = openSqliteStorage(join(dir, 'old.sqlite3'));
    try {
      const points = expandGrid(study.grid);
      const summary = await storage.openStudy('old', {});
      await storage.enqueuePoints(summary.id, points, searchSpace(study.grid));
      const t = (await storage.claimTrial(summary.id, 'w:1'))!;
      // What a trial of the old release stored.
      await storage.setUserAttrs(t.id, {
        objectiveScore: 'rec',
        objective_score: 'rec',
        pretrainCache: 'hit',
        pretrainSeconds: 4.5,
        pretrainCacheKey: 'abc',
      });
      await storage.finishTrial(t.id, TrialState.COMPLETE, 0.8);
      const stored = await storage.getTrial(t.id);
      assert.equal(trialObjective(stored, 'svdd'), 'rec');
      assert.deepEqual(pretrainTimingOf(stored.userAttrs), { seconds: 4.5, cacheHit: true });
      assert.equal(pretrainCacheKeyOf(stored.userAttrs), 'abc');
      // The new keys win where both are present.
      assert.equal(pretrainCacheKeyOf({ pretrain_cache_key: 'new', pretrainCacheKey: 'old' }), 'new');
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
