// The LSTM module (PyTorch nn.LSTM, one layer, gate order i, f, g, o) in two
// semantics (docs/recipe.md, "LSTM module"):
// - cell: each sample is its own one-step sequence with zero state, so the
//   forget gate and the recurrent weights drop out:
//     c = i * g, h = o * tanh(c), i = σ(W_i x + b_i), g = tanh(W_g x + b_g), o = σ(W_o x + b_o)
// - sequence: the mini-batch is ONE sequence of length B, state carried from
//   sample to sample and reset per batch (the authors' code).
// Gates can be replaced by 1 (Table VII): their weights are then not created.
import * as tf from '@tensorflow/tfjs-core';
import type { LstmMode } from '../study/schema.js';
import { orthogonalBlocks } from './init.js';
import type { Forward } from './layers.js';
import type { ParamStore } from './params.js';
import { rngStream } from './rng.js';

export interface LstmSpec {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly mode: LstmMode;
  /** false = the gate is replaced by 1. */
  readonly gates: { readonly input: boolean; readonly output: boolean };
}

type Gate = 'i' | 'f' | 'g' | 'o';
const TORCH_ORDER: readonly Gate[] = ['i', 'f', 'g', 'o'];

export function lstmGates(spec: LstmSpec): Gate[] {
  return TORCH_ORDER.filter(
    (g) =>
      (g !== 'i' || spec.gates.input) && (g !== 'o' || spec.gates.output) && (g !== 'f' || spec.mode === 'sequence'),
  );
}

/**
 * Orthogonal weights over the whole [4H, in] matrix as torch's orthogonal_
 * (then split per gate and transposed to [in, H] for x @ W), zero biases.
 * Torch's two biases (b_ih, b_hh) are kept apart: with Adam, two copies of a
 * bias move twice as fast as one. The full matrix is always drawn, so a gate
 * ablation keeps the very weights of the gates it keeps.
 */
export function lstm(
  store: ParamStore,
  spec: LstmSpec,
  seed: number,
  name = 'lstm',
): Forward<tf.Tensor2D, tf.Tensor2D> {
  const { inputSize: nIn, hiddenSize: h } = spec;
  const gates = lstmGates(spec);
  // Each gate's [in, H] block of torch's [4H, in] matrix, transposed for x @ W.
  const wih = once(() => orthogonalBlocks(4 * h, nIn, 4, rngStream(seed, `init:${name}.weight_ih`)));
  const whh =
    spec.mode === 'sequence'
      ? once(() => orthogonalBlocks(4 * h, h, 4, rngStream(seed, `init:${name}.weight_hh`)))
      : null;
  const p = Object.fromEntries(
    gates.map((g) => {
      const k = TORCH_ORDER.indexOf(g);
      return [
        g,
        {
          wih: store.add(`${name}.weight_ih.${g}`, () => wih.get()[k]!, [nIn, h], true),
          whh: whh ? store.add(`${name}.weight_hh.${g}`, () => whh.get()[k]!, [h, h], true) : null,
          bih: store.add(`${name}.bias_ih.${g}`, () => new Float32Array(h), [h], true),
          bhh: store.add(`${name}.bias_hh.${g}`, () => new Float32Array(h), [h], true),
        },
      ];
    }),
  ) as Record<Gate, { wih: tf.Variable; whh: tf.Variable | null; bih: tf.Variable; bhh: tf.Variable }>;
  wih.release();
  whh?.release();

  const weights: GateWeights = Object.fromEntries(
    gates.map((g) => [g, { wih: p[g].wih as tf.Tensor2D, bih: p[g].bih as tf.Tensor1D, bhh: p[g].bhh as tf.Tensor1D }]),
  );
  if (spec.mode === 'cell') return (x) => cellForward(x, weights);
  const recurrent = Object.fromEntries(gates.map((g) => [g, p[g].whh as tf.Tensor2D])) as Partial<
    Record<Gate, tf.Tensor2D>
  >;
  const seq = sequenceOp(gates);
  return (x) => seq(x, weights, recurrent);
}

type GateWeights = Partial<Record<Gate, { wih: tf.Tensor2D; bih: tf.Tensor1D; bhh: tf.Tensor1D }>>;

/** x W + b_ih + b_hh for one gate, over the whole batch. */
function inputPart(x: tf.Tensor2D, w: { wih: tf.Tensor2D; bih: tf.Tensor1D; bhh: tf.Tensor1D }): tf.Tensor2D {
  return tf.add(tf.add(tf.matMul(x, w.wih), w.bih), w.bhh);
}

const activation = (g: Gate, pre: tf.Tensor): tf.Tensor => (g === 'g' ? tf.tanh(pre) : tf.sigmoid(pre));

/** Zero state: c = i * g, h = o * tanh(c), a missing gate being 1. Plain ops, so tfjs derives the gradient. */
function cellForward(x: tf.Tensor2D, w: GateWeights): tf.Tensor2D {
  const a = (g: Gate) => (w[g] ? activation(g, inputPart(x, w[g]!)) : null);
  const [i, g, o] = [a('i'), a('g')!, a('o')];
  const c = i ? tf.mul(i, g) : g;
  const tc = tf.tanh(c);
  return (o ? tf.mul(o, tc) : tc) as tf.Tensor2D;
}

/**
 * The sequence over the batch, with a hand-written backward pass (BPTT).
 * Left to tfjs's tape, every time step would keep its own [H, 4H] gradient of
 * the recurrent weights until the end of the step: 64 x 4 x 16 MB for the
 * paper's sizes, beyond the wasm heap. Here the per-step work is on [1, H]
 * rows and the weight gradients are one matMul each over the whole sequence.
 */
function sequenceOp(gates: readonly Gate[]) {
  const idx = (g: Gate) => gates.indexOf(g);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, ...ws] = args as tf.Tensor[];
    // Per gate: wih, bih, bhh, whh.
    const wOf = (g: Gate) => ({
      wih: ws[4 * idx(g)] as tf.Tensor2D,
      bih: ws[4 * idx(g) + 1] as tf.Tensor1D,
      bhh: ws[4 * idx(g) + 2] as tf.Tensor1D,
    });
    const uOf = (g: Gate) => ws[4 * idx(g) + 3] as tf.Tensor2D;
    const b = x.shape[0];
    const out = tf.tidy(() => {
      const xs = gates.map((g) => tf.split(inputPart(x as tf.Tensor2D, wOf(g)), b, 0));
      const hs: tf.Tensor[] = [];
      const cs: tf.Tensor[] = [];
      const acts: tf.Tensor[][] = gates.map(() => []);
      for (let t = 0; t < b; t++) {
        const a = gates.map((g, k) => {
          const pre = t > 0 ? tf.add(xs[k][t], tf.matMul(hs[t - 1] as tf.Tensor2D, uOf(g))) : xs[k][t];
          const v = activation(g, pre);
          acts[k].push(v);
          return v;
        });
        const get = (g: Gate) => (gates.includes(g) ? a[idx(g)] : null);
        const [i, f, g, o] = [get('i'), get('f')!, get('g')!, get('o')];
        const ig = i ? tf.mul(i, g) : g;
        const c = t > 0 ? tf.add(tf.mul(f, cs[t - 1]), ig) : ig;
        cs.push(c);
        const tc = tf.tanh(c);
        hs.push(o ? tf.mul(o, tc) : tc);
      }
      return { h: tf.concat(hs, 0), c: tf.concat(cs, 0), acts: acts.map((v) => tf.concat(v, 0)) };
    });
    save([x, out.h, out.c, ...out.acts]);
    return {
      value: out.h,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, hAll, cAll, ...actAll] = saved as tf.Tensor2D[];
        const h = hAll.shape[1];
        const rows = (t: tf.Tensor) => tf.split(t, b, 0);
        const dyR = rows(dy);
        const cR = rows(cAll);
        const aR = actAll.map(rows);
        const dA: tf.Tensor[][] = gates.map(() => new Array<tf.Tensor>(b));
        const get = (g: Gate, t: number) => (gates.includes(g) ? aR[idx(g)][t] : null);
        let dhCarry: tf.Tensor | null = null;
        let dcCarry: tf.Tensor | null = null;
        for (let t = b - 1; t >= 0; t--) {
          const dh = dhCarry ? tf.add(dyR[t], dhCarry) : dyR[t];
          const [i, f, g, o] = [get('i', t), get('f', t)!, get('g', t)!, get('o', t)];
          const tc = tf.tanh(cR[t]);
          const dSig = (v: tf.Tensor) => tf.mul(v, tf.sub(1, v)); // σ' from σ
          if (o) dA[idx('o')][t] = tf.mul(tf.mul(dh, tc), dSig(o));
          let dc = tf.mul(tf.mul(dh, o ?? 1), tf.sub(1, tf.square(tc)));
          if (dcCarry) dc = tf.add(dc, dcCarry);
          if (i) dA[idx('i')][t] = tf.mul(tf.mul(dc, g), dSig(i));
          dA[idx('g')][t] = tf.mul(i ? tf.mul(dc, i) : dc, tf.sub(1, tf.square(g)));
          dA[idx('f')][t] = t > 0 ? tf.mul(tf.mul(dc, cR[t - 1]), dSig(f)) : tf.zerosLike(f);
          dcCarry = tf.mul(dc, f);
          dhCarry =
            t > 0 ? tf.addN(gates.map((gg, k) => tf.matMul(dA[k][t] as tf.Tensor2D, uOf(gg), false, true))) : null;
        }
        const dAll = dA.map((d) => tf.concat(d, 0) as tf.Tensor2D);
        const hPrev = tf.concat([tf.zeros([1, h]), tf.slice(hAll, [0, 0], [b - 1, h])], 0) as tf.Tensor2D;
        const dx = tf.addN(gates.map((g, k) => tf.matMul(dAll[k], wOf(g).wih, false, true)));
        const grads: tf.Tensor[] = [dx];
        for (const d of dAll) {
          const db = tf.sum(d, 0);
          grads.push(tf.matMul(xs, d, true, false), db, db, tf.matMul(hPrev, d, true, false));
        }
        return grads;
      },
    };
  });
  return (x: tf.Tensor2D, w: GateWeights, u: Partial<Record<Gate, tf.Tensor2D>>): tf.Tensor2D =>
    op(x, ...gates.flatMap((g) => [w[g]!.wih, w[g]!.bih, w[g]!.bhh, u[g]!])) as tf.Tensor2D;
}

/**
 * The full matrix is drawn once, on first use, and shared by the gates'
 * blocks; released once they are all made, since the forward closures keep
 * this function's scope (and would keep the matrix's ~100 MB buffer) alive.
 */
function once<T>(f: () => T): { get: () => T; release: () => void } {
  let v: T | undefined;
  return { get: () => (v ??= f()), release: () => (v = undefined) };
}
