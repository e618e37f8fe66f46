import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNorm,
  buildModel,
  implementedModels,
  orthogonal,
  ParamStore,
  rngStream,
  normals,
  upsample2x,
  TRAIN,
  EVAL,
  type BuildOptions,
} from '../../src/models/index.js';
import { UserInputError } from '../../src/errors/index.js';
import { modelScores } from '../../src/study/models.js';
import type { ModelName } from '../../src/study/schema.js';
import { assertClose, useCpu } from './helpers.js';

before(useCpu);

const tiny: BuildOptions = {
  arch: { channels: [4, 8, 8], latent: 16 },
  input: { height: 32, width: 32, channels: 1 },
  seed: 3,
};

const RECIPE_MODELS: ModelName[] = [
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

test('the registry implements the 12 recipe variants and the 4 Table I baselines', () => {
  assert.deepEqual(implementedModels().sort(), [...RECIPE_MODELS, 'VAE', 'MemAE', 'LSA', 'GaussianAD'].sort());
});

for (const name of RECIPE_MODELS) {
  test(`${name}: shapes, scores, and every trained weight gets a gradient`, () => {
    const m = buildModel(name, { ...tiny, lstmMode: 'sequence' });
    const x = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const z = tf.tidy(() => m.embed(x, EVAL));
    assert.deepEqual(z.shape, [3, 16]);
    const xHat = tf.tidy(() => m.reconstruct(z, EVAL));
    assert.deepEqual(xHat.shape, [3, 32, 32, 1]);
    const v = xHat.dataSync();
    assert.ok(
      v.every((p) => p > 0 && p < 1),
      'sigmoid output',
    );
    assert.deepEqual(m.scores, modelScores(name));
    assert.equal(
      m.params.list().some((e) => e.name.startsWith('lstm.')),
      m.traits.lstm,
    );
    // Pretraining trains the whole autoencoder; joint training drops the decoder of decoder-less models.
    const all = m.trainable('pretrain');
    const joint = m.trainable('joint');
    assert.equal(joint.length < all.length, !m.traits.decoder);
    const { grads, value } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(m.reconstruct(m.embed(x, TRAIN), TRAIN), x))) as tf.Scalar,
      all,
    );
    assert.equal(Object.keys(grads).length, all.length, 'a weight without gradient is dead weight');
    tf.dispose([x, z, xHat, value, grads]);
    m.dispose();
  });
}

test('the gate ablations drop exactly the replaced gates', () => {
  const weights = (name: ModelName) => {
    const m = buildModel(name, tiny);
    const n = m.params
      .list()
      .filter((e) => e.name.startsWith('lstm.weight_ih'))
      .map((e) => e.name.slice(-1))
      .sort()
      .join('');
    m.dispose();
    return n;
  };
  assert.equal(weights('IAE-LSTM-KL'), 'gio');
  assert.equal(weights('IAE-LSTM-KL-noInputGate'), 'go');
  assert.equal(weights('IAE-LSTM-KL-noOutputGate'), 'gi');
  assert.equal(weights('IAE-LSTM-KL-noGates'), 'g');
});

test('init is a function of the seed', () => {
  const values = (seed: number) => {
    const m = buildModel('IAE-LSTM-KL', { ...tiny, seed });
    const v = m.params.snapshot().map((s) => Array.from(s.values));
    m.dispose();
    return v;
  };
  assert.deepEqual(values(1), values(1));
  assert.notDeepEqual(values(1), values(2));
});

test('wrong sizes throw user errors', () => {
  assert.throws(
    () => buildModel('CAE', { ...tiny, input: { height: 28, width: 28, channels: 1 } }),
    (e: unknown) => e instanceof UserInputError && /32x32 images/.test(e.message),
  );
  assert.throws(() => buildModel('CAE', { ...tiny, arch: { channels: [4, 8], latent: 16 } }), /16x16 images/);
  assert.throws(() => buildModel('CAE', { ...tiny, arch: { channels: [4, 8, 8], latent: 24 } }), /multiple of 16/);
});

test('BN: batch statistics in train mode, running ones (momentum 0.1, unbiased) in eval mode', () => {
  const store = new ParamStore();
  const bn = batchNorm(store, 'bn', 2);
  const x = tf.tensor2d([
    [1, 10],
    [3, 10],
    [5, 16],
  ]);
  const y = tf.tidy(() => bn(x, TRAIN));
  // Feature 0: mean 3, biased var 8/3, unbiased 4; feature 1: mean 12, biased var 8, unbiased 12.
  assertClose(
    y.dataSync(),
    [
      -2 / Math.sqrt(8 / 3 + 1e-4),
      -2 / Math.sqrt(8 + 1e-4),
      0,
      -2 / Math.sqrt(8 + 1e-4),
      2 / Math.sqrt(8 / 3 + 1e-4),
      4 / Math.sqrt(8 + 1e-4),
    ],
    1e-5,
  );
  assertClose(store.get('bn.running_mean').dataSync(), [0.3, 1.2], 1e-6);
  assertClose(store.get('bn.running_var').dataSync(), [0.9 + 0.4, 0.9 + 1.2], 1e-6);
  const e = tf.tidy(() => bn(tf.tensor2d([[0.3, 1.2]]), EVAL));
  assertClose(e.dataSync(), [0, 0], 1e-6);
  tf.dispose([x, y, e]);
  store.dispose();
});

test('upsample2x is nearest-neighbour x2', () => {
  const x = tf.tensor4d(normals(2 * 3 * 2 * 3, rngStream(0, 'u')), [2, 3, 2, 3]);
  const a = upsample2x(x);
  const b = tf.image.resizeNearestNeighbor(x, [6, 4]);
  assert.deepEqual(a.shape, [2, 6, 4, 3]);
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([x, a, b]);
});

test('orthogonal: orthonormal, both QR paths agree, wide matrices are transposed', () => {
  const check = (q: Float32Array, rows: number, cols: number) => {
    const t = tf.tensor2d(q, [rows, cols]);
    const g = rows >= cols ? tf.matMul(t, t, true, false) : tf.matMul(t, t, false, true);
    const err = tf.max(tf.abs(tf.sub(g, tf.eye(Math.min(rows, cols))))).dataSync()[0];
    tf.dispose([t, g]);
    assert.ok(err < 1e-5, `orthogonality error ${err}`);
  };
  const h = orthogonal(96, 24, rngStream(1, 'o'), 'householder');
  const c = orthogonal(96, 24, rngStream(1, 'o'), 'cholesky');
  check(h, 96, 24);
  check(c, 96, 24);
  assertClose(c, h, 1e-4, 'Q');
  check(orthogonal(5, 12, rngStream(1, 'w')), 5, 12);
});
