import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../src/models/index.js';
import { loadPretrained, pretrainKey, pretrainPath, runTrial, savePretrained } from '../../src/training/index.js';
import type { Progress, TrialTask } from '../../src/training/messages.js';
import type { TrialParams } from '../../src/grid/expand.js';
import { collect, TINY_TRAINING, tinyData, tinyTask, useTestBackend } from './fixtures.js';

let dir: string;
before(async () => {
  await useTestBackend();
  dir = await mkdtemp(join(tmpdir(), 'iae-pretrain-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const data = tinyData({ nTrain: 12, nTest: 10 });
const input = { height: 32, width: 32, channels: 1 };
const kinds = (events: Progress[]) =>
  events.map((e) =>
    e.type === 'backend'
      ? e.type
      : e.type === 'step'
        ? `step:${e.step}`
        : `${e.type}:${e.phase}${e.type === 'phase' && e.cached ? ':cached' : ''}`,
  );

function keyOf(task: TrialTask): string {
  const m = buildModel(task.params.model, {
    arch: task.arch,
    input,
    lstmMode: task.params['lstm.mode'],
    seed: task.params.seed,
    initialise: false,
  });
  const k = pretrainKey(task, m.structure).key;
  m.dispose();
  return k;
}

test('the key ignores what pretraining does not use, and follows what it does', () => {
  const base = tinyTask({
    model: 'IAE-LSTM-KL',
    boundary: 'hard',
    lambdaKl: 0.1,
    lambdaRec: 1,
    'lstm.mode': 'cell',
    'kl.form': 'authors',
  });
  const k = keyOf(base);
  const withParams = (p: Partial<TrialParams>) => keyOf({ ...base, params: { ...base.params, ...p } });
  const withTraining = (t: Partial<TrialTask['training']>) => keyOf({ ...base, training: { ...base.training, ...t } });
  // Shared: loss weights, boundary, KL form, objective, joint settings, and models of the same structure.
  for (const same of [
    withParams({ lambdaKl: 10, lambdaRec: 0.01, boundary: 'soft', nu: 0.5, 'kl.form': 'gaussian' }),
    withParams({ model: 'IAE-LSTM' }),
    withParams({ model: 'DLSVDD-KL' }),
    withTraining({ jointEpochs: 7, warmupEpochs: 3, lrMilestone: 2 }),
    keyOf({ ...base, objective: 'rec', trialId: 9, study: 'other', cacheDir: '/elsewhere' }),
  ])
    assert.equal(same, k);
  // Not shared: data, seed, structure, pretraining settings.
  const different = [
    withParams({ seed: 1 }),
    withParams({ normalClass: 3 }),
    withParams({ contamination: 0.1 }),
    withParams({ minmax: 'none' }),
    withParams({ 'lstm.mode': 'sequence' }),
    withParams({ model: 'IAE-LSTM-KL-noGates' }),
    withParams({ model: 'IAE-KL' }),
    keyOf({ ...base, arch: { channels: [4, 8, 16], latent: 16 } }),
    keyOf({ ...base, dataset: { name: 'synthetic', trainSize: 100 } }),
    keyOf({ ...base, dataset: { name: 'fashion-mnist' } }),
    withTraining({ pretrainEpochs: 2 }),
    withTraining({ batchSize: 4 }),
    withTraining({ lr: 1e-4 }),
    withTraining({ weightDecay: 0 }),
    withTraining({ amsgrad: false }),
  ];
  assert.equal(new Set([k, ...different]).size, different.length + 1);
});

test('miss, then hit with identical results; a trial with other loss weights shares the entry', async () => {
  const task = tinyTask(
    { model: 'IAE-LSTM-KL', boundary: 'soft', nu: 0.2, lambdaKl: 0.1, lambdaRec: 1, 'lstm.mode': 'sequence' },
    { cacheDir: dir },
  );
  const tensors = tf.memory().numTensors;
  const miss = await collect((emit) => runTrial(task, data, emit));
  assert.equal(miss.result.attrs.pretrain_cache, 'miss');
  // The trial says it is loading the cache before it knows whether the weights are there (no silent start).
  assert.deepEqual(kinds(miss.events), [
    'step:cache',
    'phase:pretrain',
    'epoch:pretrain',
    'phase:joint',
    'epoch:joint',
  ]);
  const files = await readdir(join(dir, 'pretrain'));
  assert.deepEqual(files, [`${keyOf(task)}.bin`], 'one entry, no temp files left');

  const hit = await collect((emit) => runTrial(task, data, emit));
  assert.equal(hit.result.attrs.pretrain_cache, 'hit');
  assert.deepEqual(kinds(hit.events), ['step:cache', 'phase:pretrain:cached', 'phase:joint', 'epoch:joint']);
  // The cached weights and BN statistics are the trained ones, bit for bit.
  assert.deepEqual(hit.result.auroc, miss.result.auroc);
  assert.deepEqual(hit.events.at(-1), miss.events.at(-1));

  const other = await runTrial(
    { ...task, params: { ...task.params, lambdaKl: 5, boundary: 'hard', nu: undefined } },
    data,
    () => {},
  );
  assert.equal(other.attrs.pretrain_cache, 'hit');
  assert.equal(tf.memory().numTensors, tensors);
});

test('a corrupt entry is detected, deleted and rebuilt, never used', async () => {
  const task = tinyTask({ model: 'IAEAD', lambdaRec: 1 }, { cacheDir: dir });
  const first = await runTrial(task, data, () => {});
  assert.equal(first.attrs.pretrain_cache, 'miss');
  const path = pretrainPath(dir, keyOf(task));
  const good = await readFile(path);

  const corruptions: [string, Buffer][] = [
    ['flipped payload byte', Buffer.from(good.map((b, i) => (i === good.length - 5 ? b ^ 0xff : b)))],
    ['truncated', good.subarray(0, good.length - 100)],
    ['garbage', Buffer.from('not a cache entry at all')],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [what, bytes] of corruptions) {
    await writeFile(path, bytes);
    const { result, events } = await collect((emit) => runTrial(task, data, emit));
    assert.equal(result.attrs.pretrain_cache, 'rebuilt', what);
    assert.ok(
      events.some((e) => e.type === 'epoch' && e.phase === 'pretrain'),
      `${what}: pretrained again`,
    );
    assert.deepEqual(result.auroc, first.auroc, `${what}: same outcome as a fresh pretraining`);
    assert.deepEqual(await readFile(path), good, `${what}: the rebuilt entry is valid again`);
  }
});

test('an entry with the right key but other tensors is rejected and deleted', async () => {
  const sub = join(dir, 'shapes');
  const a = buildModel('IAEAD', { arch: { channels: [4, 8, 8], latent: 16 }, input, seed: 0 });
  const b = buildModel('IAEAD', { arch: { channels: [4, 8, 16], latent: 16 }, input, seed: 0 });
  const key = pretrainKey(tinyTask({ model: 'IAEAD' }), a.structure);
  await savePretrained(sub, key, b.params); // b's tensors under a's key
  const before = a.params.snapshot();
  const r = await loadPretrained(sub, key, a.params);
  assert.equal(r.status, 'corrupt');
  assert.match(r.status === 'corrupt' ? r.reason : '', /shape/);
  await assert.rejects(readFile(pretrainPath(sub, key.key)), { code: 'ENOENT' });
  assert.deepEqual(a.params.snapshot(), before, 'the model was not touched');
  assert.equal((await loadPretrained(sub, key, a.params)).status, 'miss');
  a.dispose();
  b.dispose();
});

test('racing writers: both renames land whole entries, no temp files stay', async () => {
  const sub = join(dir, 'race');
  const m = buildModel('CAE', { arch: { channels: [4, 8, 8], latent: 16 }, input, seed: 4 });
  const key = pretrainKey(tinyTask({ model: 'CAE' }), m.structure);
  await Promise.all([
    savePretrained(sub, key, m.params),
    savePretrained(sub, key, m.params),
    savePretrained(sub, key, m.params),
  ]);
  assert.deepEqual(await readdir(join(sub, 'pretrain')), [`${key.key}.bin`]);
  const fresh = buildModel('CAE', { arch: { channels: [4, 8, 8], latent: 16 }, input, seed: 5 });
  assert.equal((await loadPretrained(sub, key, fresh.params)).status, 'hit');
  assert.deepEqual(fresh.params.snapshot(), m.params.snapshot());
  m.dispose();
  fresh.dispose();
});

test('an unwritable cache costs the reuse, not the trial', async () => {
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  const r = await runTrial(
    tinyTask({ model: 'CAE' }, { cacheDir: file, training: { ...TINY_TRAINING } }),
    data,
    () => {},
  );
  assert.equal(r.attrs.pretrain_cache, 'miss');
  assert.match(String(r.attrs.pretrain_cache_error), /ENOTDIR.*; .*(ENOTDIR|EEXIST)/);
});
