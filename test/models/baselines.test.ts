// The Table I baselines' own parts against hand computations (and, for the
// Ledoit-Wolf fit, against scikit-learn): MemAE's memory addressing, hard
// shrinkage and entropy; LSA's autoregressive masks and categorical NLL;
// the VAE's KL; Gaussian AD's shrinkage covariance and Mahalanobis distance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  attentionEntropy,
  autoregressiveDensity,
  buildModel,
  categoricalNll,
  gaussianKl,
  hardShrink,
  invertSpd,
  ledoitWolf,
  madeMasks,
  mahalanobis,
  modelStructure,
  ParamStore,
  quantise,
  readMemory,
  rngStream,
  normals,
  MEMAE,
} from '../../src/models/index.js';
import { modelScores } from '../../src/study/models.js';
import { assertClose, useCpu } from './helpers.js';

before(useCpu);

test('hard shrinkage keeps the weights above lambda and zeroes the others', () => {
  const w = tf.tensor2d([[0.5, 0.2, 0.34, 0.3]]);
  const s = hardShrink(w, 1 / 3);
  assertClose(s.dataSync(), [0.5, 0, 0.34, 0], 1e-6);
  tf.dispose([w, s]);
});

test('MemAE memory read: softmax(z M^T), shrinkage at 1/N, L1 re-normalisation, w M; and its entropy', () => {
  const m = tf.tensor2d([
    [1, 0],
    [0, 1],
    [1, 1],
  ]);
  const z = tf.tensor2d([
    [2, 0],
    [0.1, 0.1],
  ]);
  const { out, attention } = readMemory(z, m, 1 / 3);
  // Row 1: logits (2, 0, 2) -> softmax (e^2, 1, e^2) / (2e^2 + 1) = (0.468, 0.063, 0.468);
  // 0.063 < 1/3 is cut, the rest re-normalised to (0.5, 0, 0.5); read 0.5 m1 + 0.5 m3 = (1, 0.5).
  // Row 2: logits (0.1, 0.1, 0.2) -> (0.322, 0.322, 0.356): only item 3 passes 1/3 -> (0, 0, 1); read m3 = (1, 1).
  const e2 = Math.exp(2);
  assert.ok(1 / (2 * e2 + 1) < 1 / 3 && e2 / (2 * e2 + 1) > 1 / 3);
  const p = Math.exp(0.1) / (2 * Math.exp(0.1) + Math.exp(0.2));
  assert.ok(p < 1 / 3 && 1 - 2 * p > 1 / 3);
  assertClose(attention.dataSync(), [0.5, 0, 0.5, 0, 0, 1], 1e-6, 'attention');
  assertClose(out.dataSync(), [1, 0.5, 1, 1], 1e-6, 'read');
  // Entropy: ln 2 for (0.5, 0, 0.5), 0 for (0, 0, 1); their mean.
  const h = attentionEntropy(attention);
  assertClose(h.dataSync(), [Math.LN2 / 2], 1e-6, 'entropy');
  // Without shrinkage the plain softmax is read.
  const plain = readMemory(z, m, 0);
  assertClose(
    plain.attention.dataSync().slice(0, 3),
    [e2 / (2 * e2 + 1), 1 / (2 * e2 + 1), e2 / (2 * e2 + 1)],
    1e-6,
    'softmax',
  );
  tf.dispose([m, z, out, attention, h, plain.out, plain.attention]);
});

test('MemAE addresses one query per image on the LeNet, one per position on MVTec', () => {
  const lenet = modelStructure('MemAE', {
    arch: { channels: [4, 8, 8], latent: 16 },
    input: { height: 32, width: 32, channels: 1 },
    seed: 0,
  });
  assert.deepEqual(lenet.baseline, {
    model: 'memae',
    memoryItems: 500,
    shrink: 1 / 500,
    entropyWeight: 0.0002,
    addressing: 'vector',
  });
  const a = buildModel('MemAE', {
    arch: { channels: [4, 8, 8], latent: 16 },
    input: { height: 32, width: 32, channels: 1 },
    seed: 0,
  });
  const b = buildModel('MemAE', {
    arch: { channels: [4, 8, 8, 8], latent: 16 },
    input: { height: 64, width: 64, channels: 3 },
    seed: 0,
  });
  assert.deepEqual(a.params.get('memory.items').shape, [MEMAE.items, 16]);
  assert.deepEqual(b.params.get('memory.items').shape, [MEMAE.items, 8]);
  a.dispose();
  b.dispose();
});

test('MADE masks for 3 dimensions and 4 hidden units (degrees 1, 1, 2, 2)', () => {
  const { input, output } = madeMasks(3, 4);
  // input[i][k] = 1 iff degree_k >= i+1
  assert.deepEqual(Array.from(input), [1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]);
  // output[k][j] = 1 iff j+1 > degree_k
  assert.deepEqual(Array.from(output), [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1]);
});

test('the density of z_j depends on z_1 .. z_{j-1} only', () => {
  const store = new ParamStore();
  const d = 5;
  const density = autoregressiveDensity(store, { dims: d, hidden: 12, bins: 3 }, 0);
  // Non-zero biases so that no unit is dead by accident of zero pre-activations.
  store.get('estimator.bias_in').assign(tf.tensor1d(normals(12, rngStream(0, 'b'))));
  const z = tf.tensor2d([Array.from({ length: d }, (_, i) => 0.1 + 0.15 * i)]);
  for (let j = 0; j < d; j++) {
    const g = tf.grad((zz: tf.Tensor) => tf.sum(tf.slice(density(zz as tf.Tensor2D), [0, j, 0], [1, 1, 3])))(z);
    const v = g.dataSync();
    for (let i = 0; i < d; i++) {
      if (i >= j) assert.equal(v[i], 0, `output ${j} must not see z_${i}`);
      else assert.notEqual(v[i], 0, `output ${j} should see z_${i}`);
    }
    g.dispose();
  }
  z.dispose();
  store.dispose();
});

test("LSA's NLL: equal-width bins of [0, 1], minus the log-softmax of the bin", () => {
  const z = tf.tensor2d([[0, 0.5, 0.99, 1]]);
  assert.deepEqual(Array.from(quantise(z, 3).dataSync()), [0, 1, 2, 2]);
  const logits = tf.tensor3d([
    [
      [0, 0, 0],
      [1, 2, 3],
      [1, 2, 3],
      [0, 5, 0],
    ],
  ]);
  const nll = categoricalNll(logits, z, 3);
  const lse = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
  const lse5 = Math.log(2 + Math.E ** 5);
  // bins 0, 1, 2, 2: -log(1/3) - (2 - lse) - (3 - lse) - (0 - lse5)
  assertClose(nll.dataSync(), [Math.log(3) + (lse - 2) + (lse - 3) + lse5], 1e-5);
  tf.dispose([z, logits, nll]);
});

test("the VAE's KL to N(0, 1), per sample", () => {
  const mu = tf.tensor2d([
    [1, 0],
    [0, 0],
  ]);
  const logVar = tf.tensor2d([
    [0, Math.log(2)],
    [0, 0],
  ]);
  const kl = gaussianKl(mu, logVar);
  // 0.5 * [(1 + 1 - 0 - 1) + (0 + 2 - ln 2 - 1)] = 1 - ln(2)/2; N(0, 1) itself: 0.
  assertClose(kl.dataSync(), [1 - Math.LN2 / 2, 0], 1e-6);
  tf.dispose([mu, logVar, kl]);
});

test("Ledoit-Wolf matches scikit-learn's LedoitWolf", () => {
  const n = 12;
  const x: number[] = [];
  for (let i = 0; i < n; i++) x.push(Math.sin(i), Math.sin(i) + 0.3 * Math.cos(2 * i), 0.1 * i - 0.5 * Math.sin(3 * i));
  const g = ledoitWolf(x, n, 3);
  // sklearn 1.2.1: LedoitWolf().fit(X) on the same X.
  assertClose(g.mean, [0.03426651372227555, 0.03419596138813356, 0.5276714953568316], 1e-12, 'location_');
  assertClose([g.shrinkage], [0.1705919600164681], 1e-12, 'shrinkage_');
  assertClose(
    g.covariance,
    [
      0.48599003485337106, 0.4151223611136695, -0.043579906248286567, 0.4151223611136695, 0.5290002286474024,
      -0.05262936066498795, -0.043579906248286567, -0.05262936066498795, 0.25404444914025753,
    ],
    1e-12,
    'covariance_',
  );
  // And the distances sklearn's fit gives, through our inverse and the tf op.
  const p = tf.tensor2d(Float32Array.from(invertSpd(g.covariance, 3)), [3, 3]);
  const mean = tf.tensor1d(Float32Array.from(g.mean));
  const t = tf.tensor2d([
    [0, 0, 0],
    [1, -1, 0.5],
  ]);
  const m = mahalanobis(t, mean, p);
  assertClose(m.dataSync(), [1.0661679499623615, 4.666943323154128], 1e-5, 'mahalanobis');
  tf.dispose([p, mean, t, m]);
});

test('Mahalanobis distance and the SPD inverse by hand', () => {
  // cov [[2, 1], [1, 2]] has inverse [[2, -1], [-1, 2]] / 3; with mean (1, 2):
  // x = (2, 4): d = (1, 2), d P d = (2 - 4 + 8) / 3 = 2; x = (0, 3): d = (-1, 1), (2 + 2 + 2) / 3 = 2; x = mean: 0.
  const inv = invertSpd(Float64Array.from([2, 1, 1, 2]), 2);
  assertClose(inv, [2 / 3, -1 / 3, -1 / 3, 2 / 3], 1e-12, 'inverse');
  const p = tf.tensor2d(Float32Array.from(inv), [2, 2]);
  const mean = tf.tensor1d([1, 2]);
  const x = tf.tensor2d([
    [2, 4],
    [0, 3],
    [1, 2],
  ]);
  const m = mahalanobis(x, mean, p);
  assertClose(m.dataSync(), [Math.SQRT2, Math.SQRT2, 0], 1e-6);
  tf.dispose([p, mean, x, m]);
  // A singular matrix (a constant feature) still inverts, through the growing ridge.
  const singular = invertSpd(Float64Array.from([1, 0, 0, 0]), 2);
  assert.ok(singular.every(Number.isFinite));
  assertClose([singular[0]], [1], 1e-6, 'the non-degenerate direction is kept');
});

test('each baseline lists the scores it produces', () => {
  assert.deepEqual(modelScores('VAE'), ['rec']);
  assert.deepEqual(modelScores('MemAE'), ['rec']);
  assert.deepEqual(modelScores('LSA'), ['svdd+rec', 'rec']);
  assert.deepEqual(modelScores('GaussianAD'), ['svdd']);
});
