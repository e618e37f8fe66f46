// Every recipe variant trains one pretraining and one joint epoch on tiny
// seeded data, with finite losses, the right loss terms and the right scores.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { runTrial } from '../../src/training/index.js';
import { MODEL_TRAITS, modelScores } from '../../src/study/models.js';
import type { TrialParams } from '../../src/grid/expand.js';
import type { ModelName } from '../../src/study/schema.js';
import { collect, tinyData, tinyTask, useTestBackend } from './fixtures.js';

before(useTestBackend);

const VARIANTS: ModelName[] = [
  'CAE',
  'DeepSVDD',
  'IAEAD',
  'DSVDD-KL',
  'DLSVDD',
  'DLSVDD-KL',
  'IAE-KL',
  'IAE-LSTM',
  'IAE-LSTM-KL',
  'IAE-LSTM-KL-noInputGate',
  'IAE-LSTM-KL-noOutputGate',
  'IAE-LSTM-KL-noGates',
];
const data = tinyData({ nTrain: 12, nTest: 10 });

VARIANTS.forEach((model, i) => {
  const t = MODEL_TRAITS[model];
  // Alternate the options so that every mode, form and boundary is exercised somewhere.
  const params: { -readonly [K in keyof TrialParams]?: TrialParams[K] } & { model: ModelName } = { model };
  if (t.svdd) params.boundary = i % 2 ? 'soft' : 'hard';
  if (params.boundary === 'soft') params.nu = 0.2;
  if (t.lstm) params['lstm.mode'] = i % 3 === 0 ? 'sequence' : 'cell';
  if (t.kl) {
    params['kl.form'] = i % 4 < 2 ? 'authors' : 'gaussian';
    params.lambdaKl = 0.01;
  }
  if (t.decoder && t.svdd) params.lambdaRec = 2;

  test(`${model} (${[params.boundary, params['lstm.mode'], params['kl.form']].filter(Boolean).join(', ')}) trains and scores`, async () => {
    const tensors = tf.memory().numTensors;
    const collected = await collect((emit) => runTrial(tinyTask(params), data, emit));
    const { result } = collected;
    // The step before the first epoch (building the model) is the trial test's concern.
    const events = collected.events.filter((e) => e.type !== 'step');
    assert.deepEqual(
      events.map((e) => `${e.type}:${e.type === 'backend' ? '' : e.phase}`),
      ['phase:pretrain', 'epoch:pretrain', 'phase:joint', 'epoch:joint'],
    );
    const [, pre, , joint] = events;
    assert.ok(pre.type === 'epoch' && joint.type === 'epoch');
    assert.deepEqual(Object.keys(pre.losses).sort(), ['rec', 'total']);
    assert.equal(pre.auroc, undefined);
    const expectedTerms = ['total'];
    if (t.svdd) expectedTerms.push('svdd');
    if (t.decoder) expectedTerms.push('rec');
    if (t.kl) expectedTerms.push('kl');
    if (params.boundary === 'soft') expectedTerms.push('R');
    assert.deepEqual(Object.keys(joint.losses).sort(), expectedTerms.sort());
    for (const [k, v] of Object.entries({ ...pre.losses, ...joint.losses }))
      assert.ok(Number.isFinite(v), `${k} = ${v}`);
    // The total is the weighted sum of the epoch-mean terms (means of a linear combination).
    const l = joint.losses;
    const expectTotal = (l.svdd ?? 0) + (t.decoder ? (t.svdd ? 2 : 1) * l.rec : 0) + (t.kl ? 0.01 * l.kl : 0);
    assert.ok(
      Math.abs(l.total - expectTotal) < 1e-4 * Math.max(1, Math.abs(expectTotal)),
      `total ${l.total} vs ${expectTotal}`,
    );

    const scores = modelScores(model);
    assert.deepEqual(Object.keys(joint.auroc!).sort(), [...scores].sort());
    assert.deepEqual(Object.keys(result.auroc).sort(), [...scores].sort());
    for (const s of scores) assert.ok(result.auroc[s]! >= 0 && result.auroc[s]! <= 1);
    const objective = scores.includes('svdd') ? 'svdd' : scores[0];
    assert.equal(result.value, result.auroc[objective]);
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  });
});
