import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, EVAL } from '../../src/models/index.js';
import { computeCenter, CENTER_EPS, NonFiniteLossError, runTrial } from '../../src/training/index.js';
import { Images } from '../../src/training/batches.js';
import type { Progress } from '../../src/training/messages.js';
import { collect, TINY_TRAINING, tinyData, tinyTask, useTestBackend } from './fixtures.js';

before(useTestBackend);

const data = tinyData({ nTrain: 12, nTest: 10 });
const jointEpochs = (events: Progress[]) =>
  events.filter((e) => e.type === 'epoch' && e.phase === 'joint') as Extract<Progress, { type: 'epoch' }>[];

test('a rerun of the same task gives the same AUROCs and losses; another seed does not', async () => {
  const task = tinyTask(
    { model: 'IAE-LSTM-KL', boundary: 'soft', nu: 0.2, 'lstm.mode': 'sequence', lambdaKl: 0.1, lambdaRec: 1 },
    {
      training: { ...TINY_TRAINING, jointEpochs: 2 },
    },
  );
  const a = await collect((emit) => runTrial(task, data, emit));
  const b = await collect((emit) => runTrial(task, data, emit));
  for (const s of ['svdd', 'rec', 'svdd+rec'] as const)
    assert.ok(Math.abs(a.result.auroc[s]! - b.result.auroc[s]!) <= 1e-6, s);
  assert.deepEqual(
    jointEpochs(b.events).map((e) => e.losses),
    jointEpochs(a.events).map((e) => e.losses),
  );
  const c = await collect((emit) => runTrial({ ...task, params: { ...task.params, seed: 1 } }, data, emit));
  assert.notDeepEqual(jointEpochs(c.events)[0].losses, jointEpochs(a.events)[0].losses);
});

test('Infinity in the data: a NonFiniteLossError naming the phase, epoch and terms, and no leak', async () => {
  const bad = tinyData({ nTrain: 8, nTest: 4 });
  const trainX = Float32Array.from(bad.trainX);
  trainX[100] = Infinity;
  const tensors = tf.memory().numTensors;
  await assert.rejects(
    runTrial(tinyTask({ model: 'IAEAD' }), { ...bad, trainX }, () => {}),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteLossError);
      assert.equal(e.phase, 'pretrain');
      assert.equal(e.epoch, 1);
      assert.match(e.message, /pretrain epoch 1, batch 1: total=NaN, rec=NaN/);
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, tensors);
});

test('a huge learning rate diverges in the joint phase: the error names it and its terms', async () => {
  const tensors = tf.memory().numTensors;
  const task = tinyTask(
    { model: 'DSVDD-KL', boundary: 'hard', lambdaKl: 1, 'kl.form': 'gaussian' },
    {
      training: { ...TINY_TRAINING, pretrainEpochs: 0, jointEpochs: 3, lr: 1e30, batchSize: 4 },
    },
  );
  await assert.rejects(
    runTrial(task, data, () => {}),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteLossError, String(e));
      assert.equal(e.phase, 'joint');
      assert.match(e.message, /joint epoch \d+, batch \d+: total=\S+, svdd=\S+, kl=\S+/);
      assert.ok(Object.values(e.losses).some((v) => !Number.isFinite(v)));
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, tensors);
});

test('soft boundary: R stays 0 during warm-up, then is set from the batches', async () => {
  const task = tinyTask(
    { model: 'IAEAD', boundary: 'soft', nu: 0.25, lambdaRec: 1 },
    {
      training: { ...TINY_TRAINING, jointEpochs: 2, warmupEpochs: 1 },
    },
  );
  const { result, events } = await collect((emit) => runTrial(task, data, emit));
  const [e1, e2] = jointEpochs(events);
  assert.equal(e1.losses.R, 0);
  assert.ok(e2.losses.R > 0);
  assert.equal(result.attrs.radius, e2.losses.R);
});

test('the lr milestone changes the training after it', async () => {
  const run = async (lrMilestone: number) =>
    jointEpochs(
      (
        await collect((emit) =>
          runTrial(
            tinyTask({ model: 'DeepSVDD' }, { training: { ...TINY_TRAINING, jointEpochs: 2, lrMilestone } }),
            data,
            emit,
          ),
        )
      ).events,
    );
  const [a, b] = [await run(1), await run(250)];
  assert.deepEqual(a[0].losses, b[0].losses, 'epoch 1 is before the milestone in both');
  assert.notDeepEqual(a[1].losses, b[1].losses);
});

test('the center is the eval-mode mean of z, with small coordinates pushed to ±0.1', () => {
  const model = buildModel('DeepSVDD', {
    arch: { channels: [4, 8, 8], latent: 16 },
    input: { height: 32, width: 32, channels: 1 },
    seed: 2,
  });
  const images = new Images(data.trainX, data.nTrain, [32, 32, 1]);
  const c = computeCenter(model, images, 5); // 5 does not divide 12: the last batch is smaller
  const z = tf.tidy(() => model.embed(tf.tensor4d(data.trainX, [data.nTrain, 32, 32, 1]), EVAL));
  const mean = tf.tidy(() => tf.mean(z, 0)).dataSync();
  const cv = c.dataSync();
  let pushed = 0;
  for (let i = 0; i < cv.length; i++) {
    if (Math.abs(mean[i]) < CENTER_EPS) {
      pushed++;
      assert.equal(Math.abs(cv[i]), Math.fround(CENTER_EPS));
      assert.equal(Math.sign(cv[i]), mean[i] < 0 ? -1 : 1);
    } else assert.ok(Math.abs(cv[i] - mean[i]) < 1e-5);
  }
  assert.ok(pushed > 0 && pushed < cv.length, `a useful case pushes some coordinates (${pushed})`);
  tf.dispose([c, z]);
  model.dispose();
});

test('a model without the objective score reports its first score and says so', async () => {
  const { result } = await collect((emit) => runTrial(tinyTask({ model: 'CAE' }), data, emit));
  // The value is the rec AUROC (the scheduler records `objective_score` from the same rule).
  assert.equal(result.value, result.auroc.rec);
  assert.equal(result.auroc.svdd, undefined);
  assert.match(String(result.attrs.objective_note), /CAE has no "svdd" score/);
  const withRec = await runTrial(tinyTask({ model: 'IAEAD' }, { objective: 'svdd+rec' }), data, () => {});
  assert.equal(withRec.value, withRec.auroc['svdd+rec']);
  assert.notEqual(withRec.auroc['svdd+rec'], withRec.auroc.svdd);
  assert.equal(withRec.attrs.objective_note, undefined);
});

test('no pretraining epochs: no pretraining phase', async () => {
  const { events, result } = await collect((emit) =>
    runTrial(tinyTask({ model: 'IAEAD' }, { training: { ...TINY_TRAINING, pretrainEpochs: 0 } }), data, emit),
  );
  assert.deepEqual(
    events.map((e) => (e.type === 'backend' ? e.type : e.type === 'step' ? `step:${e.step}` : `${e.type}:${e.phase}`)),
    ['step:model', 'phase:joint', 'epoch:joint'],
  );
  assert.equal(result.attrs.pretrain_cache, 'off');
});

test('data the network does not fit fail with the user error of the registry, before any training', async () => {
  const events: Progress[] = [];
  await assert.rejects(
    runTrial(tinyTask({ model: 'MemAE' }, { arch: { channels: [4, 8], latent: 16 } }), data, (p) => events.push(p)),
    /16x16 images.*32x32/,
  );
  // It said it was building the model, and nothing after that.
  assert.deepEqual(events, [{ type: 'step', step: 'model' }]);
});

test('training.evalEvery: the test set is scored every k-th joint epoch and after the last; training is unchanged', async () => {
  const params = { model: 'IAE-LSTM-KL', boundary: 'hard', lambdaKl: 0.1, lambdaRec: 1 } as const;
  const every = await collect((emit) =>
    runTrial(tinyTask(params, { training: { ...TINY_TRAINING, jointEpochs: 5 } }), data, emit),
  );
  const sparse = await collect((emit) =>
    runTrial(tinyTask(params, { training: { ...TINY_TRAINING, jointEpochs: 5, evalEvery: 2 } }), data, emit),
  );
  const scored = (events: Progress[]) =>
    jointEpochs(events)
      .filter((e) => e.auroc)
      .map((e) => e.epoch);
  assert.deepEqual(scored(every.events), [1, 2, 3, 4, 5]);
  assert.deepEqual(scored(sparse.events), [2, 4, 5]);
  // Scoring has no side effect on training: same losses, same final AUROC, less time scoring.
  assert.deepEqual(
    jointEpochs(sparse.events).map((e) => e.losses),
    jointEpochs(every.events).map((e) => e.losses),
  );
  assert.deepEqual(sparse.result.auroc, every.result.auroc);
  assert.equal(typeof sparse.result.attrs.eval_seconds, 'number');
  assert.deepEqual(
    jointEpochs(sparse.events).find((e) => e.epoch === 4)!.auroc,
    jointEpochs(every.events).find((e) => e.epoch === 4)!.auroc,
  );
});
