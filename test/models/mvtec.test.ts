// The recipe's MVTec AD network (64x64x3): which network a trial gets, the
// full-size shapes of every variant, the stride-2 conv and transposed conv
// against PyTorch's definitions written out as loops, and the gradients of a
// channel-scaled-down MVTec net on the wasm backend against the cpu backend's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  buildModel,
  conv,
  convTranspose2x,
  implementedModels,
  modelStructure,
  normals,
  ParamStore,
  resolveNetwork,
  rngStream,
  reconstructionMse,
  EVAL,
  TRAIN,
  type Model,
} from '../../src/models/index.js';
import { initBackend } from '../../src/engine/index.js';
import { MODEL_TRAITS } from '../../src/study/models.js';
import { Arch, type ModelName } from '../../src/study/schema.js';
import { assertClose, useCpu } from './helpers.js';

before(useCpu);

const MVTEC_INPUT = { height: 64, width: 64, channels: 3 };
const TINY_MVTEC = { channels: [4, 8, 8, 8], latent: 16 };
const defaults = Arch.parse({});

test("the network follows the data unless arch.network says otherwise; the default channels mean the recipe's there", () => {
  assert.deepEqual(resolveNetwork(defaults, MVTEC_INPUT), { network: 'mvtec', channels: [96, 128, 256, 256] });
  assert.deepEqual(resolveNetwork(defaults, { height: 32, width: 32 }), { network: 'lenet', channels: [32, 64, 128] });
  assert.deepEqual(resolveNetwork(TINY_MVTEC, MVTEC_INPUT), { network: 'mvtec', channels: [4, 8, 8, 8] });
  assert.deepEqual(resolveNetwork({ ...defaults, network: 'lenet', channels: [8, 8, 8, 8] }, MVTEC_INPUT), {
    network: 'lenet',
    channels: [8, 8, 8, 8],
  });
  assert.deepEqual(resolveNetwork(Arch.parse({ network: 'mvtec' }), { height: 32, width: 32 }), {
    network: 'mvtec',
    channels: [96, 128, 256, 256],
  });
  assert.equal(Arch.safeParse({ network: 'resnet' }).success, false);
  // The LeNet on 64x64 needs four blocks: the schema's three are refused with the reason.
  assert.throws(
    () => modelStructure('CAE', { arch: { ...defaults, network: 'lenet' }, input: MVTEC_INPUT, seed: 0 }),
    /lenet network needs 32x32 images for 3 encoder blocks/,
  );
});

const RECIPE: ModelName[] = implementedModels().filter((m) => !MODEL_TRAITS[m].baseline);

test("every model at the recipe's MVTec size: 96-128-256-256 encoder, z of 4096 (the LSTM's output, no Linear)", () => {
  assert.equal(RECIPE.length, 12);
  for (const name of implementedModels()) {
    const s = modelStructure(name, { arch: defaults, input: MVTEC_INPUT, seed: 0 });
    assert.equal(s.network, 'mvtec', name);
    assert.deepEqual(s.encoder, { channels: [96, 128, 256, 256], kernel: 3 }, name);
    assert.equal(s.latent, 4096, name);
    assert.deepEqual(s.lstm && s.lstm.size, MODEL_TRAITS[name].lstm ? 4096 : null, name);
  }
});

function shapes(m: Model): Record<string, number[]> {
  return Object.fromEntries(m.params.list().map((e) => [e.name, [...e.variable.shape]]));
}

test("full-size IAE-LSTM-KL: the recipe's layers and nothing else (weights not initialised: shapes only)", () => {
  const m = buildModel('IAE-LSTM-KL', { arch: defaults, input: MVTEC_INPUT, seed: 0, initialise: false });
  const expected: Record<string, number[]> = {};
  const enc = [3, 96, 128, 256, 256];
  for (let i = 0; i < 4; i++) {
    expected[`encoder.conv${i}.weight`] = [3, 3, enc[i], enc[i + 1]];
    expected[`encoder.bn${i}.running_mean`] = [enc[i + 1]];
    expected[`encoder.bn${i}.running_var`] = [enc[i + 1]];
  }
  for (const g of ['i', 'g', 'o']) {
    expected[`lstm.weight_ih.${g}`] = [4096, 4096];
    expected[`lstm.bias_ih.${g}`] = [4096];
    expected[`lstm.bias_hh.${g}`] = [4096];
  }
  // Transposed conv filters are [k, k, out, in]: 256 -> 256 -> 128 -> 96 -> 3, BN after all but the last.
  const dec = [256, 256, 128, 96, 3];
  for (let i = 0; i < 4; i++) {
    expected[`decoder.deconv${i}.weight`] = [3, 3, dec[i + 1], dec[i]];
    if (i < 3) {
      expected[`decoder.bn${i + 1}.running_mean`] = [dec[i + 1]];
      expected[`decoder.bn${i + 1}.running_var`] = [dec[i + 1]];
    }
  }
  assert.deepEqual(shapes(m), expected);
  const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
  const z = tf.tidy(() => m.embed(x, EVAL));
  const r = tf.tidy(() => m.reconstruct(z, EVAL));
  assert.deepEqual(
    [z.shape, r.shape],
    [
      [1, 4096],
      [1, 64, 64, 3],
    ],
  );
  tf.dispose([x, z, r]);
  m.dispose();
});

test('full-size Deep SVDD forward: z is the flattened 256x4x4 features', () => {
  const m = buildModel('DeepSVDD', { arch: defaults, input: MVTEC_INPUT, seed: 0 });
  assert.ok(!m.params.list().some((e) => e.name.startsWith('head.') || e.name.startsWith('lstm.')));
  const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  const z = tf.tidy(() => m.embed(x, TRAIN));
  assert.deepEqual(z.shape, [2, 4096]);
  // Eval-mode BN and leaky ReLU(0.2) of the last block: the features are not all >= 0.
  assert.ok(z.dataSync().some((v) => v < 0));
  tf.dispose([x, z]);
  m.dispose();
});

/** PyTorch's Conv2d(k, stride 2, padding (k-1)/2, no bias), NHWC, w [k, k, in, out]. */
function torchConvStride2(
  x: Float32Array,
  [n, h, w, ci]: number[],
  f: Float32Array,
  k: number,
  co: number,
): Float32Array {
  const p = (k - 1) / 2;
  const oh = Math.floor((h + 2 * p - k) / 2) + 1;
  const ow = Math.floor((w + 2 * p - k) / 2) + 1;
  const out = new Float32Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          let s = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = 2 * oy - p + ky;
              const ix = 2 * ox - p + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let c = 0; c < ci; c++)
                s += x[((b * h + iy) * w + ix) * ci + c] * f[((ky * k + kx) * ci + c) * co + o];
            }
          out[((b * oh + oy) * ow + ox) * co + o] = s;
        }
  return out;
}

/**
 * PyTorch's ConvTranspose2d(k, stride 2, padding (k-1)/2, output_padding 1, no
 * bias): out[y] += x[i] * W[ky] for y = 2i - p + ky, output side 2H. NHWC; the
 * weight as torch holds it, W[in][out][ky][kx].
 */
function torchConvTranspose2x(
  x: Float32Array,
  [n, h, w, ci]: number[],
  wt: Float32Array,
  k: number,
  co: number,
): Float32Array {
  const p = (k - 1) / 2;
  const oh = 2 * h;
  const ow = 2 * w;
  const out = new Float32Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < w; ix++)
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const y = 2 * iy - p + ky;
            const xx = 2 * ix - p + kx;
            if (y < 0 || y >= oh || xx < 0 || xx >= ow) continue;
            for (let c = 0; c < ci; c++) {
              const v = x[((b * h + iy) * w + ix) * ci + c];
              for (let o = 0; o < co; o++)
                out[((b * oh + y) * ow + xx) * co + o] += v * wt[((c * co + o) * k + ky) * k + kx];
            }
          }
  return out;
}

test("the stride-2 conv and transposed conv are PyTorch's (padding 1, output_padding 1), odd sides included", () => {
  const store = new ParamStore();
  const [ci, co, k] = [3, 4, 3];
  const down = conv(store, 'down', ci, co, k, rngStream(0, 'down'), { stride: 2, init: 'torch-default' });
  const up = convTranspose2x(store, 'up', ci, co, k, rngStream(0, 'up'), 'torch-default');
  for (const [h, w] of [
    [8, 8],
    [7, 5],
  ]) {
    const shape = [2, h, w, ci];
    const xv = normals(
      shape.reduce((a, b) => a * b),
      rngStream(h, 'x'),
    );
    const x = tf.tensor4d(xv, shape as [number, number, number, number]);
    const y = down(x, EVAL);
    assert.deepEqual(y.shape, [2, Math.ceil(h / 2), Math.ceil(w / 2), co]);
    assertClose(
      y.dataSync(),
      torchConvStride2(xv, shape, store.get('down.weight').dataSync() as Float32Array, k, co),
      1e-5,
      `conv ${h}x${w}`,
    );
    const u = up(x, EVAL);
    assert.deepEqual(u.shape, [2, 2 * h, 2 * w, co]);
    // tfjs's filter [k][k][out][in] is torch's W[in][out][k][k] transposed.
    const f = store.get('up.weight').dataSync();
    const wt = new Float32Array(f.length);
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++)
        for (let o = 0; o < co; o++)
          for (let c = 0; c < ci; c++) wt[((c * co + o) * k + ky) * k + kx] = f[((ky * k + kx) * co + o) * ci + c];
    assertClose(u.dataSync(), torchConvTranspose2x(xv, shape, wt, k, co), 1e-5, `transposed conv ${h}x${w}`);
    tf.dispose([x, y, u]);
  }
  store.dispose();
});

for (const name of implementedModels()) {
  test(`${name} on a channel-scaled MVTec net: shapes, unsquashed output, a gradient for every trained weight`, () => {
    const m = buildModel(name, { arch: TINY_MVTEC, input: MVTEC_INPUT, lstmMode: 'sequence', seed: 4 });
    assert.equal(m.structure.network, 'mvtec');
    const x = tf.randomUniform([3, 64, 64, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const z = tf.tidy(() => m.embed(x, TRAIN));
    assert.deepEqual(z.shape, [3, 8 * 4 * 4]);
    const xHat = tf.tidy(() => m.reconstruct(z, TRAIN));
    assert.deepEqual(xHat.shape, [3, 64, 64, 3]);
    // No output activation: MVTec images are in [-1, 1].
    assert.ok(xHat.dataSync().some((v) => v < 0));
    const vars = m.trainable('pretrain');
    const loss = () =>
      m.baseline ? m.baseline.loss(x).total : reconstructionMse(x, m.reconstruct(m.embed(x, TRAIN), TRAIN));
    const { grads, value } = tf.variableGrads(loss, vars);
    assert.equal(Object.keys(grads).length, vars.length, 'a weight without gradient is dead weight');
    assert.ok(Number.isFinite(value.dataSync()[0]));
    tf.dispose([x, z, xHat, value, grads]);
    m.dispose();
  });
}

test("wasm gradients of a channel-scaled MVTec IAE-LSTM-KL equal the cpu backend's", async () => {
  const grads = async (backend: 'cpu' | 'wasm') => {
    await initBackend(backend);
    const m = buildModel('IAE-LSTM-KL', { arch: TINY_MVTEC, input: MVTEC_INPUT, seed: 9 });
    const x = tf.tensor4d(
      Float32Array.from(normals(4 * 64 * 64 * 3, rngStream(1, 'gx')), (v) => Math.tanh(v)),
      [4, 64, 64, 3],
    );
    const vars = m.trainable('pretrain');
    const { grads: g, value } = tf.variableGrads(() => {
      const z = m.embed(x, TRAIN);
      return tf.add(reconstructionMse(x, m.reconstruct(z, TRAIN)), tf.mean(tf.square(z))) as tf.Scalar;
    }, vars);
    const out = m.params
      .list()
      .filter((e) => e.trainable)
      .map((e) => ({ name: e.name, values: Array.from(g[e.variable.name].dataSync()) }));
    tf.dispose([x, value, g]);
    m.dispose();
    return out;
  };
  try {
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    assert.deepEqual(
      wasm.map((g) => g.name),
      cpu.map((g) => g.name),
    );
    assert.ok(
      cpu.some((g) => g.name.startsWith('decoder.deconv')) && cpu.some((g) => g.name.startsWith('encoder.conv')),
    );
    for (let i = 0; i < cpu.length; i++) {
      const scale = Math.max(...cpu[i].values.map(Math.abs));
      assert.ok(scale > 0, `${cpu[i].name}: zero gradient`);
      // Relative to the tensor's largest entry: float32 sums in a different order.
      assertClose(
        wasm[i].values.map((v) => v / scale),
        cpu[i].values.map((v) => v / scale),
        2e-4,
        cpu[i].name,
      );
    }
  } finally {
    await initBackend('cpu');
  }
});
