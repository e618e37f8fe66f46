import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  combineLosses,
  klAuthors,
  klGaussian,
  klLoss,
  klTarget,
  quantile,
  reconstructionError,
  reconstructionMse,
  squaredDistance,
  svddHard,
  svddSoft,
} from '../../src/models/index.js';
import { assertClose, useCpu } from './helpers.js';

before(useCpu);

const val = (t: tf.Tensor) => {
  const v = t.dataSync();
  t.dispose();
  return v.length === 1 ? v[0] : Array.from(v);
};

// z = [[1, 2], [3, 0]], c = [1, 1]: distances 0 + 1 = 1 and 4 + 1 = 5.
const z = () =>
  tf.tensor2d([
    [1, 2],
    [3, 0],
  ]);
const c = () => tf.tensor1d([1, 1]);

test('squared distance to the center, per sample', () => {
  assert.deepEqual(val(squaredDistance(z(), c())), [1, 5]);
});

test('hard SVDD: mean distance = (1 + 5) / 2', () => {
  assert.equal(val(svddHard(squaredDistance(z(), c()))), 3);
});

test('soft SVDD: R^2 + mean(max(0, d - R^2)) / nu', () => {
  const d = () => squaredDistance(z(), c());
  // R = 1, nu = 0.5: 1 + ((0 + 4) / 2) / 0.5 = 5.
  assert.equal(val(svddSoft(d(), 1, 0.5)), 5);
  // R = 0 (before warm-up ends), nu = 0.1: mean(d) / 0.1 = 30.
  assertClose([val(svddSoft(d(), 0, 0.1)) as number], [30], 1e-6);
  // R = 3: both inside, the loss is R^2 = 9.
  assert.equal(val(svddSoft(d(), 3, 0.1)), 9);
});

test('reconstruction: MSE over pixels and summed error per sample', () => {
  const x = tf.tensor4d([0, 1, 0.5, 0.5, 1, 1, 1, 1], [2, 2, 2, 1]);
  const xHat = tf.tensor4d([0.5, 0.5, 0.5, 1, 1, 1, 1, 0], [2, 2, 2, 1]);
  // Squared errors: [0.25, 0.25, 0, 0.25] and [0, 0, 0, 1].
  assert.equal(val(reconstructionMse(x, xHat)), 1.75 / 8);
  assert.deepEqual(val(reconstructionError(x, xHat)), [0.75, 1]);
  x.dispose();
  xHat.dispose();
});

test("authors' KL equals torch's KLDivLoss(batchmean) on a hand case", () => {
  const zz = tf.tensor2d([
    [0.1, -0.2],
    [0.3, 0.4],
  ]);
  const t = tf.tensor2d([
    [0.25, 0.75],
    [0.5, 0.5],
  ]);
  // (0.25(ln .25 - .1) + 0.75(ln .75 + .2) + 0.5(ln .5 - .3) + 0.5(ln .5 - .4)) / 2;
  // torch.nn.KLDivLoss(reduction='batchmean')(z, t) gives -0.7402411625893768.
  assertClose([val(klAuthors(zz, t)) as number], [-0.7402411625893768], 1e-6);
  zz.dispose();
  t.dispose();
});

test("authors' KL target is the softmax of the noise", () => {
  assertClose(val(klTarget(tf.tensor2d([[0, Math.log(3)]]))) as number[], [0.25, 0.75], 1e-6);
});

test('Gaussian KL: N(mu, sigma^2) fitted per dimension against N(0, 1)', () => {
  // Columns [1, 3, 2] and [2, 0, 1]: mu = 2 and 1, biased variance 2/3 each.
  const expected = 0.5 * (4 + 2 / 3 - Math.log(2 / 3) - 1 + (1 + 2 / 3 - Math.log(2 / 3) - 1));
  assertClose(
    [
      val(
        klGaussian(
          tf.tensor2d([
            [1, 2],
            [3, 0],
            [2, 1],
          ]),
        ),
      ) as number,
    ],
    [expected],
    1e-5,
  );
  // torch (float64, var(unbiased=False)) gives 2.5721317747748316.
  assertClose([expected], [2.5721317747748316], 1e-12);
  // Standard-normal-like batch statistics (mu 0, var 1) give 0.
  assertClose(
    [
      val(
        klGaussian(
          tf.tensor2d([
            [1, -1],
            [-1, 1],
          ]),
        ),
      ) as number,
    ],
    [0],
    1e-6,
  );
});

test('klLoss picks the form; only the authors form draws noise', () => {
  let draws = 0;
  const noise = () => {
    draws++;
    return tf.tensor2d([[0, Math.log(3)]]);
  };
  const zz = tf.tensor2d([[0, 0]]);
  // target [0.25, 0.75] against z = 0: sum t log t.
  assertClose([val(klLoss('authors', zz, noise)) as number], [0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)], 1e-6);
  assert.equal(draws, 1);
  val(
    klLoss(
      'gaussian',
      tf.tensor2d([
        [1, 2],
        [3, 0],
      ]),
      noise,
    ),
  );
  assert.equal(draws, 1);
  zz.dispose();
});

test('total = svdd + lambdaRec rec + lambdaKl kl, over the terms present', () => {
  const s = (v: number) => tf.scalar(v);
  assertClose(
    [val(combineLosses({ svdd: s(2), rec: s(3), kl: s(5) }, { lambdaRec: 10, lambdaKl: 0.1 })) as number],
    [32.5],
    1e-6,
  );
  assert.equal(val(combineLosses({ rec: s(3) }, { lambdaRec: 1, lambdaKl: 0.1 })), 3);
  assert.equal(val(combineLosses({ svdd: s(2), kl: s(5) }, { lambdaRec: 10, lambdaKl: 2 })), 12);
  assert.throws(() => combineLosses({}, { lambdaRec: 1, lambdaKl: 1 }), /no loss terms/);
});

test('quantile interpolates linearly as numpy.quantile', () => {
  assert.equal(quantile([4, 1, 3, 2], 0.9), 3.7);
  assert.equal(quantile([5], 0.3), 5);
  assert.equal(quantile([0, 10], 0.25), 2.5);
  assert.throws(() => quantile([], 0.5), /empty/);
});
