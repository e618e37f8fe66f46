// The one pretraining key: what the main thread computes from the study and the
// prepared image shape (no model built) is the key the worker's cache file
// gets from the built model, for every model; null for those that do not pretrain.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, implementedModels, modelPretrains } from '../../src/models/index.js';
import { pretrainKey, trialPretrainKey } from '../../src/training/pretrain-cache.js';
import { tinyTask, useTestBackend, TINY_TRAINING } from './fixtures.js';

before(async () => {
  await useTestBackend();
});

const input = { height: 32, width: 32, channels: 1 };

test('trialPretrainKey equals the key of the built model, for every model and LSTM mode', () => {
  let pretraining = 0;
  for (const model of implementedModels()) {
    for (const mode of ['cell', 'sequence'] as const) {
      const task = tinyTask({ model, seed: 3, normalClass: 2, 'lstm.mode': mode });
      const key = trialPretrainKey(task, input);
      if (!modelPretrains(model)) {
        assert.equal(key, null, model);
        continue;
      }
      pretraining++;
      const built = buildModel(model, { arch: task.arch, input, lstmMode: mode, seed: 3, initialise: false });
      try {
        assert.deepEqual(key, pretrainKey(task, built.structure), `${model} ${mode}`);
      } finally {
        built.dispose();
      }
    }
  }
  assert.ok(pretraining > 0);
});

test('no pretraining epochs: no key', () => {
  assert.equal(
    trialPretrainKey(tinyTask({ model: 'IAE-LSTM-KL' }, { training: { ...TINY_TRAINING, pretrainEpochs: 0 } }), input),
    null,
  );
});
