import { test, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../../src/training/adam.js';
import { assertClose, useCpu } from '../models/helpers.js';

before(useCpu);

// torch.optim.Adam([p], lr=0.1, weight_decay=0.01, amsgrad=...) from p = [1, -2, 0.5]
// with these three gradients gives (float64):
const GRADS = [
  [0.5, -1.0, 2.0],
  [-0.1, 0.3, 0.0],
  [0.05, -2.0, -1.0],
];
const TORCH = {
  amsgrad: [0.7993210179022373, -1.7825108264425078, 0.31486269353602764],
  plain: [0.7993210179022373, -1.7825108264425078, 0.31482925248476795],
};

for (const amsgrad of [true, false]) {
  test(`Adam (amsgrad ${amsgrad}) with L2 weight decay matches torch after three steps`, () => {
    const before = tf.memory().numTensors;
    const p = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 0.5])));
    const opt = new Adam([p], { lr: 0.1, weightDecay: 0.01, amsgrad });
    for (const g of GRADS) {
      const grad = tf.tensor1d(g);
      opt.step({ [p.name]: grad });
      grad.dispose();
    }
    assertClose(p.dataSync(), amsgrad ? TORCH.amsgrad : TORCH.plain, 1e-6);
    opt.dispose();
    p.dispose();
    assertClose([tf.memory().numTensors], [before], 0, 'tensors left');
  });
}
