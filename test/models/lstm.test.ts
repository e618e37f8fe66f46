import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { lstm, ParamStore, rngStream, normals, TRAIN, type LstmSpec } from '../../src/models/index.js';
import { assertClose, useCpu } from './helpers.js';

before(useCpu);

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** The PyTorch LSTM equations as a plain loop over samples, from the stored weights. */
function reference(store: ParamStore, spec: LstmSpec, x: Float32Array, b: number): Float64Array {
  const { inputSize: n, hiddenSize: h } = spec;
  const w = (name: string) => (store.list().some((e) => e.name === name) ? store.get(name).dataSync() : null);
  const out = new Float64Array(b * h);
  let hPrev = new Float64Array(h);
  let cPrev = new Float64Array(h);
  for (let t = 0; t < b; t++) {
    // Cell mode: every sample starts from zero state.
    if (spec.mode === 'cell') {
      hPrev = new Float64Array(h);
      cPrev = new Float64Array(h);
    }
    const pre = (g: string) => {
      const wih = w(`lstm.weight_ih.${g}`);
      if (!wih) return null;
      const whh = w(`lstm.weight_hh.${g}`);
      const bih = w(`lstm.bias_ih.${g}`)!;
      const bhh = w(`lstm.bias_hh.${g}`)!;
      const v = new Float64Array(h);
      for (let j = 0; j < h; j++) {
        let s = bih[j] + bhh[j];
        for (let k = 0; k < n; k++) s += x[t * n + k] * wih[k * h + j];
        if (whh) for (let k = 0; k < h; k++) s += hPrev[k] * whh[k * h + j];
        v[j] = s;
      }
      return v;
    };
    const [pi, pf, pg, po] = ['i', 'f', 'g', 'o'].map(pre);
    const hNew = new Float64Array(h);
    const cNew = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      const i = pi ? sig(pi[j]) : 1;
      const f = pf ? sig(pf[j]) : 0; // no forget gate in cell mode: c_prev is 0 anyway
      const o = po ? sig(po[j]) : 1;
      cNew[j] = f * cPrev[j] + i * Math.tanh(pg![j]);
      hNew[j] = o * Math.tanh(cNew[j]);
      out[t * h + j] = hNew[j];
    }
    hPrev = hNew;
    cPrev = cNew;
  }
  return out;
}

/** Non-zero biases, so that a bias mixed up between gates would show. */
function randomizeBiases(store: ParamStore, seed: number): void {
  const rng = rngStream(seed, 'test-biases');
  for (const e of store.list())
    if (e.name.includes('bias')) e.variable.assign(tf.tensor(normals(e.variable.size, rng), e.variable.shape));
}

const cases: Array<[LstmSpec['mode'], boolean, boolean]> = [];
for (const mode of ['cell', 'sequence'] as const)
  for (const input of [true, false]) for (const output of [true, false]) cases.push([mode, input, output]);

for (const [mode, input, output] of cases) {
  test(`LSTM ${mode} mode, input gate ${input ? 'on' : '= 1'}, output gate ${output ? 'on' : '= 1'} matches the equations`, () => {
    const spec: LstmSpec = { inputSize: 6, hiddenSize: 5, mode, gates: { input, output } };
    const store = new ParamStore();
    const f = lstm(store, spec, 3);
    randomizeBiases(store, 1);
    const b = 4;
    const x = normals(b * 6, rngStream(2, 'x'));
    const y = tf.tidy(() => f(tf.tensor2d(x, [b, 6]), TRAIN));
    assert.deepEqual(y.shape, [b, 5]);
    assertClose(y.dataSync(), reference(store, spec, x, b), 1e-5, 'h');
    y.dispose();
    store.dispose();
  });
}

test('LSTM parameters: which exist per mode and gate ablation', () => {
  const names = (spec: LstmSpec) => {
    const store = new ParamStore();
    lstm(store, spec, 0);
    const n = store
      .list()
      .map((e) => e.name)
      .sort();
    store.dispose();
    return n;
  };
  const cell = names({ inputSize: 4, hiddenSize: 4, mode: 'cell', gates: { input: true, output: true } });
  assert.deepEqual(
    cell.filter((n) => n.includes('weight')),
    ['lstm.weight_ih.g', 'lstm.weight_ih.i', 'lstm.weight_ih.o'],
  );
  const seq = names({ inputSize: 4, hiddenSize: 4, mode: 'sequence', gates: { input: false, output: true } });
  assert.deepEqual(
    seq.filter((n) => n.includes('weight')),
    [
      'lstm.weight_hh.f',
      'lstm.weight_hh.g',
      'lstm.weight_hh.o',
      'lstm.weight_ih.f',
      'lstm.weight_ih.g',
      'lstm.weight_ih.o',
    ],
  );
});

test('LSTM init: orthogonal over the whole [4H, in] matrix, zero biases; ablations keep the same weights', () => {
  const h = 8;
  const n = 6;
  const store = new ParamStore();
  lstm(store, { inputSize: n, hiddenSize: h, mode: 'sequence', gates: { input: true, output: true } }, 5);
  // Rebuild torch's [4H, in] weight_ih from the per-gate [in, H] blocks.
  const w = new Float64Array(4 * h * n);
  ['i', 'f', 'g', 'o'].forEach((g, k) => {
    const blk = store.get(`lstm.weight_ih.${g}`).dataSync();
    for (let r = 0; r < h; r++) for (let c = 0; c < n; c++) w[(k * h + r) * n + c] = blk[c * h + r];
  });
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let r = 0; r < 4 * h; r++) s += w[r * n + a] * w[r * n + b];
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-5, `WᵀW[${a}][${b}] = ${s}`);
    }
  for (const e of store.list()) if (e.name.includes('bias')) assert.ok(e.variable.dataSync().every((v) => v === 0));
  const ablated = new ParamStore();
  lstm(ablated, { inputSize: n, hiddenSize: h, mode: 'sequence', gates: { input: false, output: true } }, 5);
  assert.deepEqual(ablated.get('lstm.weight_ih.g').dataSync(), store.get('lstm.weight_ih.g').dataSync());
  assert.deepEqual(ablated.get('lstm.weight_hh.o').dataSync(), store.get('lstm.weight_hh.o').dataSync());
  store.dispose();
  ablated.dispose();
});

test('sequence mode carries state: changing sample 0 changes h of sample 1, cell mode does not', () => {
  for (const mode of ['sequence', 'cell'] as const) {
    const store = new ParamStore();
    const f = lstm(store, { inputSize: 3, hiddenSize: 3, mode, gates: { input: true, output: true } }, 1);
    const x1 = normals(6, rngStream(0, 'a'));
    const x2 = Float32Array.from(x1);
    x2[0] += 1;
    const [h1, h2] = [x1, x2].map((x) => tf.tidy(() => f(tf.tensor2d(x, [2, 3]), TRAIN)).arraySync() as number[][]);
    const changed = h1[1].some((v, j) => Math.abs(v - h2[1][j]) > 1e-6);
    assert.equal(changed, mode === 'sequence');
    store.dispose();
  }
});

/** The sequence equations with plain tf ops, so the tape derives the gradient: the reference for the hand-written BPTT. */
function tapedSequence(store: ParamStore, gates: string[], x: tf.Tensor2D): tf.Tensor2D {
  const has = (g: string) => gates.includes(g);
  const w = (k: string, g: string) => store.get(`lstm.${k}.${g}`) as tf.Tensor2D;
  const hs: tf.Tensor[] = [];
  let h: tf.Tensor | null = null;
  let c: tf.Tensor | null = null;
  for (let t = 0; t < x.shape[0]; t++) {
    const xt = tf.slice(x, [t, 0], [1, x.shape[1]]);
    const pre = (g: string) => {
      let v = tf.add(tf.add(tf.matMul(xt, w('weight_ih', g)), w('bias_ih', g)), w('bias_hh', g));
      if (h) v = tf.add(v, tf.matMul(h as tf.Tensor2D, w('weight_hh', g)));
      return v;
    };
    const i = has('i') ? tf.sigmoid(pre('i')) : null;
    const f = tf.sigmoid(pre('f'));
    const g = tf.tanh(pre('g'));
    const o = has('o') ? tf.sigmoid(pre('o')) : null;
    const ig = i ? tf.mul(i, g) : g;
    c = c ? tf.add(tf.mul(f, c), ig) : ig;
    h = o ? tf.mul(o, tf.tanh(c)) : tf.tanh(c);
    hs.push(h);
  }
  return tf.concat(hs, 0) as tf.Tensor2D;
}

for (const [input, output] of [
  [true, true],
  [false, true],
  [true, false],
  [false, false],
]) {
  test(`sequence mode gradients (input gate ${input}, output gate ${output}) equal the tape's`, () => {
    const spec: LstmSpec = { inputSize: 5, hiddenSize: 4, mode: 'sequence', gates: { input, output } };
    const store = new ParamStore();
    const f = lstm(store, spec, 9);
    randomizeBiases(store, 2);
    const gates = ['i', 'f', 'g', 'o'].filter((g) => store.list().some((e) => e.name === `lstm.weight_ih.${g}`));
    const x = tf.tensor2d(normals(6 * 5, rngStream(3, 'x')), [6, 5]);
    // A loss that weighs every output differently, so a misplaced gradient row shows.
    const weights = tf.tensor2d(normals(6 * 4, rngStream(4, 'w')), [6, 4]);
    const vars = store.trainable();
    const grad = (fwd: (x: tf.Tensor2D) => tf.Tensor2D) =>
      tf.tidy(() => {
        const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(fwd(xx as tf.Tensor2D), weights)))(x);
        const gv = tf.variableGrads(() => tf.sum(tf.mul(fwd(x), weights)) as tf.Scalar, vars).grads;
        return [gx, ...vars.map((v) => gv[v.name])];
      });
    const ours = grad((xx) => f(xx, TRAIN));
    const ref = grad((xx) => tapedSequence(store, gates, xx));
    assert.equal(ours.length, vars.length + 1);
    ours.forEach((g, k) =>
      assertClose(
        g.dataSync(),
        ref[k].dataSync(),
        1e-4,
        k === 0 ? 'dx' : store.list().filter((e) => e.trainable)[k - 1].name,
      ),
    );
    assertClose(f(x, TRAIN).dataSync(), tapedSequence(store, gates, x).dataSync(), 1e-5, 'h');
    tf.dispose([x, weights, ...ours, ...ref]);
    store.dispose();
  });
}
