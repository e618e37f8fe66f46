// Every model of the paper trains one pretraining and one joint epoch on a
// tiny subset of the real Fashion-MNIST (Debian's dataset-fashion-mnist,
// which the test set-up installs), with finite losses and exactly its scores.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runTrial } from '../../src/training/index.js';
import { MODEL_TRAITS, modelScores } from '../../src/study/models.js';
import { loadFashionMnist, prepareTrialData, type RawDataset } from '../../src/data/index.js';
import type { ModelName } from '../../src/study/schema.js';
import type { TrialParams } from '../../src/grid/expand.js';
import { collect, tinyTask, useTestBackend } from './fixtures.js';

const dir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const present = existsSync(dir);
let raw: RawDataset;
before(async () => {
  await useTestBackend();
  if (present) raw = await loadFashionMnist();
});

for (const model of Object.keys(MODEL_TRAITS) as ModelName[]) {
  test(
    `${model}: one epoch each on real Fashion-MNIST`,
    { skip: present ? false : `no Fashion-MNIST at ${dir}` },
    async () => {
      const t = MODEL_TRAITS[model];
      const params: { -readonly [K in keyof TrialParams]?: TrialParams[K] } & { model: ModelName } = {
        model,
        normalClass: 7,
      };
      if (t.svdd) params.boundary = 'hard';
      if (t.kl) params.lambdaKl = 0.001;
      if (t.decoder && t.svdd) params.lambdaRec = 1;
      const data = prepareTrialData(raw, {
        normalClass: 7,
        seed: 0,
        contamination: 0,
        minmax: 'train',
        trainSize: 24,
        testSize: 40,
      });
      const { result, events } = await collect((emit) => runTrial(tinyTask(params), data, emit));
      const epochs = events.filter((e) => e.type === 'epoch');
      assert.ok(epochs.length >= 1);
      for (const e of epochs)
        for (const [k, v] of Object.entries(e.losses))
          assert.ok(Number.isFinite(v), `${model} ${e.phase} epoch ${e.epoch}: ${k} = ${v}`);
      assert.deepEqual(Object.keys(result.auroc).sort(), [...modelScores(model)].sort());
      for (const v of Object.values(result.auroc)) assert.ok(v! >= 0 && v! <= 1);
      assert.ok(result.value >= 0 && result.value <= 1);
    },
  );
}
