// The Table I baselines train through runTrial on tiny seeded data: their own
// loss terms (finite, weighted as their papers say), their own scores with an
// AUROC per epoch, deterministic reruns, and how they use pretraining.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, MEMAE, LSA } from '../../src/models/index.js';
import { runTrial, scoreBaseline } from '../../src/training/index.js';
import { Images } from '../../src/training/batches.js';
import { modelScores, objectiveScore } from '../../src/study/models.js';
import type { Progress } from '../../src/training/messages.js';
import type { ModelName } from '../../src/study/schema.js';
import { collect, TINY_TRAINING, tinyData, tinyTask, useTestBackend } from './fixtures.js';

let dir: string;
before(async () => {
  await useTestBackend();
  dir = await mkdtemp(join(tmpdir(), 'iae-baselines-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const data = tinyData({ nTrain: 16, nTest: 16 });
const training = { ...TINY_TRAINING, jointEpochs: 2 };
type Epoch = Extract<Progress, { type: 'epoch' }>;
// Steps before the first epoch (data, model, cache) are the pretrain-cache test's concern.
const kinds = (events: Progress[]) =>
  events.flatMap((e) =>
    e.type === 'step'
      ? []
      : [e.type === 'backend' ? e.type : `${e.type}:${e.phase}${e.type === 'phase' && e.cached ? ':cached' : ''}`],
  );
const epochsOf = (events: Progress[], phase: 'pretrain' | 'joint') =>
  events.filter((e): e is Epoch => e.type === 'epoch' && e.phase === phase);

/** Each baseline's loss terms and how its total weighs them. */
const TERMS: Record<
  'VAE' | 'MemAE' | 'LSA' | 'GaussianAD',
  { terms: string[]; total: (l: Record<string, number>) => number }
> = {
  VAE: { terms: ['kl', 'rec', 'total'], total: (l) => l.rec + l.kl },
  MemAE: { terms: ['entropy', 'rec', 'total'], total: (l) => l.rec + MEMAE.entropyWeight * l.entropy },
  LSA: { terms: ['nll', 'rec', 'total'], total: (l) => l.rec + LSA.lambda * l.nll },
  GaussianAD: { terms: ['rec', 'total'], total: (l) => l.rec },
};

for (const model of ['VAE', 'MemAE', 'LSA', 'GaussianAD'] as const) {
  test(`${model} trains 2 epochs with its own loss, scores every epoch, and reruns identically`, async () => {
    const tensors = tf.memory().numTensors;
    const task = tinyTask({ model }, { training });
    const a = await collect((emit) => runTrial(task, data, emit));
    const pretrains = model === 'GaussianAD';
    assert.deepEqual(kinds(a.events), [
      ...(pretrains ? ['phase:pretrain', 'epoch:pretrain'] : []),
      'phase:joint',
      'epoch:joint',
      'epoch:joint',
    ]);
    const joint = epochsOf(a.events, 'joint');
    const scores = modelScores(model);
    for (const e of joint) {
      assert.deepEqual(Object.keys(e.losses).sort(), TERMS[model].terms);
      for (const [k, v] of Object.entries(e.losses)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
      const expected = TERMS[model].total(e.losses);
      assert.ok(
        Math.abs(e.losses.total - expected) <= 1e-4 * Math.max(1, Math.abs(expected)),
        `total ${e.losses.total} vs ${expected}`,
      );
      assert.deepEqual(Object.keys(e.auroc!).sort(), [...scores].sort());
      for (const s of scores) assert.ok(e.auroc![s]! >= 0 && e.auroc![s]! <= 1, `${s} = ${e.auroc![s]}`);
    }
    assert.notDeepEqual(joint[1].losses, joint[0].losses, 'the second epoch trains on');
    const objective = objectiveScore(model, 'svdd');
    assert.equal(a.result.value, a.result.auroc[objective]);
    assert.deepEqual(a.result.auroc, joint[1].auroc);
    if (pretrains) assert.equal(a.result.attrs.pretrain_note, undefined);
    else assert.match(String(a.result.attrs.pretrain_note), /pretrainEpochs is not used/);

    const b = await collect((emit) => runTrial(task, data, emit));
    assert.deepEqual(b.events, a.events, 'same losses and AUROCs on rerun');
    const c = await collect((emit) => runTrial({ ...task, params: { ...task.params, seed: 1 } }, data, emit));
    assert.notDeepEqual(epochsOf(c.events, 'joint')[0].losses, joint[0].losses, 'the seed matters');
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  });
}

test('LSA scores each test image by its NLL (>= 0, categorical) and its reconstruction error', () => {
  const m = buildModel('LSA', {
    arch: { channels: [4, 8, 8], latent: 16 },
    input: { height: 32, width: 32, channels: 1 },
    seed: 0,
  });
  const raw = scoreBaseline(m, new Images(data.testX, data.nTest, [32, 32, 1]), 5);
  assert.equal(raw.svdd!.length, data.nTest);
  assert.equal(raw.rec!.length, data.nTest);
  assert.ok(raw.svdd!.every((v) => v >= 0 && Number.isFinite(v)));
  assert.ok(raw.rec!.every((v) => v > 0 && Number.isFinite(v)));
  // Batch size does not change a score (eval mode, per-sample terms).
  const again = scoreBaseline(m, new Images(data.testX, data.nTest, [32, 32, 1]), 16);
  for (let i = 0; i < data.nTest; i++)
    assert.ok(Math.abs(again.svdd![i] - raw.svdd![i]) < 1e-4 && Math.abs(again.rec![i] - raw.rec![i]) < 1e-3);
  m.dispose();
});

test('Gaussian AD cannot score before its Gaussians are fitted', () => {
  const m = buildModel('GaussianAD', {
    arch: { channels: [4, 8, 8], latent: 16 },
    input: { height: 32, width: 32, channels: 1 },
    seed: 0,
  });
  assert.throws(() => scoreBaseline(m, new Images(data.testX, data.nTest, [32, 32, 1]), 8), /score before fit/);
  m.dispose();
});

test('Gaussian AD reuses the pretrained autoencoder of CAE (same structure, same pretraining)', async () => {
  const cacheDir = join(dir, 'shared');
  const cae = await collect((emit) => runTrial(tinyTask({ model: 'CAE' }, { training, cacheDir }), data, emit));
  assert.equal(cae.result.attrs.pretrain_cache, 'miss');
  const g = await collect((emit) => runTrial(tinyTask({ model: 'GaussianAD' }, { training, cacheDir }), data, emit));
  assert.equal(g.result.attrs.pretrain_cache, 'hit');
  assert.deepEqual(kinds(g.events).slice(0, 2), ['phase:pretrain:cached', 'phase:joint']);
  // The same weights as pretraining without the cache: the same run.
  const fresh = await collect((emit) => runTrial(tinyTask({ model: 'GaussianAD' }, { training }), data, emit));
  assert.deepEqual(epochsOf(g.events, 'joint'), epochsOf(fresh.events, 'joint'));
});

test('the models that do not pretrain skip it even when the study asks for it', async () => {
  for (const model of ['VAE', 'MemAE', 'LSA'] as ModelName[]) {
    const { events, result } = await collect((emit) =>
      runTrial(
        tinyTask({ model }, { training: { ...TINY_TRAINING, pretrainEpochs: 3 }, cacheDir: join(dir, 'unused') }),
        data,
        emit,
      ),
    );
    assert.deepEqual(kinds(events), ['phase:joint', 'epoch:joint'], model);
    assert.equal(result.attrs.pretrain_cache, 'off');
  }
});

test('LSA with the rec objective reports its rec AUROC', async () => {
  const r = await runTrial(tinyTask({ model: 'LSA' }, { objective: 'rec' }), data, () => {});
  assert.equal(r.value, r.auroc.rec);
});
