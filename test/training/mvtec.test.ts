// The MVTec AD network trains through runTrial on 64x64x3 data in [-1, 1]
// (random images, channels scaled down): chosen from the data's shape, one
// pretraining and one joint epoch with finite losses and AUROCs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { rngStream } from '../../src/models/index.js';
import { runTrial } from '../../src/training/index.js';
import type { TrialData } from '../../src/data/types.js';
import type { ModelName } from '../../src/study/schema.js';
import { modelScores } from '../../src/study/models.js';
import { collect, TINY_TRAINING, tinyData, tinyTask, useTestBackend } from './fixtures.js';

before(useTestBackend);

function randomMvtec(nTrain: number, nTest: number): TrialData {
  const rng = rngStream(0, 'mvtec-random');
  const px = 64 * 64 * 3;
  const draw = (n: number) => Float32Array.from({ length: n * px }, () => 2 * rng.next() - 1);
  return {
    height: 64,
    width: 64,
    channels: 3,
    trainX: draw(nTrain),
    nTrain,
    testX: draw(nTest),
    testY: Uint8Array.from({ length: nTest }, (_, i) => i % 2),
    nTest,
  };
}

const data = randomMvtec(8, 6);

for (const [model, params] of [
  ['IAE-LSTM-KL', { boundary: 'soft', nu: 0.2, 'lstm.mode': 'sequence', lambdaKl: 0.01, lambdaRec: 1 }],
  ['DeepSVDD', { boundary: 'hard' }],
] as const) {
  test(`${model} trains an epoch on 64x64x3 data with the MVTec network`, async () => {
    const tensors = tf.memory().numTensors;
    const task = tinyTask(
      { model: model as ModelName, ...params },
      { arch: { channels: [4, 8, 8, 8], latent: 16 }, training: { ...TINY_TRAINING, batchSize: 4 } },
    );
    const { result, events } = await collect((emit) => runTrial(task, data, emit));
    assert.equal(result.attrs.network, 'mvtec');
    const epochs = events.filter((e) => e.type === 'epoch');
    assert.deepEqual(
      epochs.map((e) => e.phase),
      ['pretrain', 'joint'],
    );
    for (const e of epochs)
      for (const [k, v] of Object.entries(e.losses)) assert.ok(Number.isFinite(v), `${e.phase} ${k} = ${v}`);
    assert.deepEqual(Object.keys(result.auroc).sort(), modelScores(model).sort());
    for (const v of Object.values(result.auroc)) assert.ok(v! >= 0 && v! <= 1);
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  });
}

test('32x32 data keep the LeNet', async () => {
  const r = await runTrial(tinyTask({ model: 'DeepSVDD' }), tinyData({ nTrain: 8, nTest: 4 }), () => {});
  assert.equal(r.attrs.network, 'lenet');
});
