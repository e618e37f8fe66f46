// The whole network against PyTorch's own modules (Conv2d, BatchNorm2d/1d with
// affine=False, nn.LSTM, Linear, ConvTranspose2d, F.interpolate) given the
// same weights. The expected signatures were computed by torch 1.13 with
// test/models/torch/parity.py from weights this test exports:
//   TORCH_PARITY_EXPORT=/tmp/parity node --import tsx --test test/models/torch-parity.test.ts
//   /usr/bin/python3 test/models/torch/parity.py /tmp/parity
// A failure after a deliberate change of the init (seeds, draws) means
// regenerating them; any other failure means the forward pass drifted from torch.
import { test, before } from 'node:test';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, normals, rngStream, TRAIN, EVAL } from '../../src/models/index.js';
import { assertClose, useCpu } from './helpers.js';

before(useCpu);

/** Per sample: sum z, sum (j+1) z_j, sum rec, sum (i mod 97) rec_i: order-sensitive, small to embed. */
function signature(z: tf.Tensor2D, r: tf.Tensor4D): number[] {
  const zv = z.arraySync();
  const rv = tf.reshape(r, [r.shape[0], -1]).arraySync() as number[][];
  return zv.flatMap((row, b) => [
    row.reduce((a, v) => a + v, 0),
    row.reduce((a, v, j) => a + (j + 1) * v, 0),
    rv[b].reduce((a, v) => a + v, 0),
    rv[b].reduce((a, v, i) => a + (i % 97) * v, 0),
  ]);
}

const EXPECTED: Record<'cell' | 'sequence', { train: number[]; eval: number[] }> = {
  cell: {
    train: [
      0.357219, 4.7925929, 1664.7862397, 78512.2530417, 0.3823571, 8.9827382, 1386.719265, 65984.7382301, 0.4974932,
      9.7717495, 1507.8287109, 70153.7411241, 0.3669057, 9.123661, 1535.0768374, 73547.7031358, 0.4203747, 10.2064631,
      1480.0718204, 69685.4187343,
    ],
    eval: [
      0.4800384, 10.8213071, 1533.8724996, 73065.7596783, 0.4389574, 10.336374, 1533.858976, 73066.4457059, 0.5274773,
      11.5376766, 1533.9746555, 73069.1180861, 0.5509985, 13.0207541, 1534.0246531, 73070.9340886, 0.5049267,
      11.6605026, 1533.9200041, 73066.3739419,
    ],
  },
  sequence: {
    train: [
      0.357219, 4.7925929, 1581.2354734, 73750.433978, 0.590414, 12.2035302, 1546.0097239, 72751.6031387, 0.9514869,
      18.1071901, 1477.9861447, 68947.1709015, 0.996985, 20.7989121, 1506.5493964, 72188.7686162, 1.1475255, 23.8789131,
      1460.1264524, 69271.3703215,
    ],
    eval: [
      0.4800384, 10.8213071, 1533.6081347, 73049.7155354, 0.668532, 14.7288232, 1530.1683751, 72920.0907632, 0.8808572,
      18.1306795, 1528.5185127, 72853.5530173, 0.9779, 20.5869608, 1527.7208986, 72821.3846864, 1.0245966, 20.9120215,
      1527.4150681, 72808.9230237,
    ],
  },
};

for (const mode of ['cell', 'sequence'] as const) {
  test(`IAE-LSTM-KL (${mode} LSTM) forward equals PyTorch's, in train and eval mode`, () => {
    const m = buildModel('IAE-LSTM-KL', {
      arch: { channels: [4, 8, 8], latent: 32 },
      input: { height: 32, width: 32, channels: 3 },
      lstmMode: mode,
      seed: 7,
    });
    // Non-zero LSTM biases, so that they are compared too.
    for (const e of m.params.list())
      if (e.name.includes('bias'))
        e.variable.assign(tf.mul(tf.tensor(normals(e.variable.size, rngStream(1, e.name)), e.variable.shape), 0.3));
    const x = tf.tensor4d(
      Float32Array.from(normals(5 * 32 * 32 * 3, rngStream(3, 'parity-x')), (v) => 1 / (1 + Math.exp(-v))),
      [5, 32, 32, 3],
    );
    const weights = Object.fromEntries(
      m.params
        .list()
        .filter((e) => e.trainable)
        .map((e) => [e.name, { shape: e.variable.shape, v: Array.from(e.variable.dataSync()) }]),
    );
    // Train mode first (batch statistics, running stats updated once), then eval mode with those running stats.
    const train = tf.tidy(() => {
      const z = m.embed(x, TRAIN);
      return signature(z, m.reconstruct(z, TRAIN));
    });
    const evalSig = tf.tidy(() => {
      const z = m.embed(x, EVAL);
      return signature(z, m.reconstruct(z, EVAL));
    });
    if (process.env.TORCH_PARITY_EXPORT) {
      writeFileSync(
        `${process.env.TORCH_PARITY_EXPORT}-${mode}.json`,
        JSON.stringify({ mode, weights, x: Array.from(x.dataSync()), train, eval: evalSig }),
      );
    } else {
      assertClose(train, EXPECTED[mode].train, 1e-4, 'train-mode signature');
      assertClose(evalSig, EXPECTED[mode].eval, 1e-4, 'eval-mode signature');
    }
    x.dispose();
    m.dispose();
  });
}
