// The pruning decisions on plain numbers, checked against what Optuna's
// MedianPruner and SuccessiveHalvingPruner decide for the same curves
// (direction maximize; our epochs are 1-based where Optuna's steps start at 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pruner } from '../../src/study/schema.js';
import { decide, nanPercentile, promotable, pruningGroupKey, rungEpoch, type Peer } from '../../src/pruners/index.js';

const curve = (...values: number[]) => new Map(values.map((v, i) => [i + 1, v]));
const done = (...values: number[]): Peer => ({ complete: true, curve: curve(...values) });
const running = (...values: number[]): Peer => ({ complete: false, curve: curve(...values) });
const median = (o: Record<string, unknown> = {}) => Pruner.parse({ kind: 'median', ...o });
const sha = (o: Record<string, unknown> = {}) => {
  const p = Pruner.parse({ kind: 'successive-halving', ...o });
  assert.ok(p.kind === 'successive-halving');
  return p;
};

test("schema defaults are Optuna's", () => {
  assert.deepEqual(median(), { kind: 'median', warmupEpochs: 0, minPeers: 5 });
  assert.deepEqual(sha(), {
    kind: 'successive-halving',
    minResource: 1,
    reductionFactor: 4,
    minEarlyStoppingRate: 0,
    bootstrapCount: 0,
  });
  assert.equal(Pruner.safeParse({ kind: 'median', nSteps: 3 }).success, false);
  assert.equal(Pruner.safeParse({ kind: 'successive-halving', reductionFactor: 1 }).success, false);
});

test('median: prunes a trial whose best so far is below the median of finished peers at that epoch', () => {
  const spec = median({ minPeers: 3 });
  const peers = [done(0.7, 0.8, 0.9), done(0.6, 0.7, 0.8), done(0.5, 0.6, 0.7)];
  // median at epoch 2 of (0.8, 0.7, 0.6) is 0.7
  const d = decide(spec, curve(0.65, 0.66), 2, 3, peers);
  assert.equal(d.prune, true);
  assert.match(d.reason, /0\.6600 by epoch 2 < median 0\.7000 of 3 finished peer/);
  // the best value so far counts, not the latest (Optuna's best intermediate result)
  assert.equal(decide(spec, curve(0.72, 0.5), 2, 3, peers).prune, false);
  // equal to the median: kept (strictly below prunes)
  assert.equal(decide(spec, curve(0.6, 0.7), 2, 3, peers).prune, false);
});

test('median: warm-up, too few finished peers, running peers, the last epoch', () => {
  const peers = [done(0.9, 0.9, 0.9), done(0.9, 0.9, 0.9)];
  const low = curve(0.1, 0.1);
  assert.equal(decide(median({ minPeers: 2 }), low, 2, 3, peers).prune, true);
  assert.equal(decide(median({ minPeers: 2, warmupEpochs: 2 }), low, 2, 3, peers).prune, false);
  assert.equal(decide(median({ minPeers: 3 }), low, 2, 3, peers).prune, false);
  // running peers do not count for the median pruner (Optuna: COMPLETE trials only)
  assert.equal(decide(median({ minPeers: 3 }), low, 2, 3, [...peers, running(0.9, 0.9)]).prune, false);
  // never at the last epoch: the compute is spent
  assert.equal(decide(median({ minPeers: 2 }), curve(0.1, 0.1, 0.1), 3, 3, peers).prune, false);
  // an epoch without a value (evalEvery) is not a decision point
  assert.equal(decide(median({ minPeers: 2 }), new Map([[1, 0.1]]), 2, 3, peers).prune, false);
});

test('median: NaN so far prunes; peers without a value at the epoch do not decide', () => {
  const peers = [done(0.9, 0.9), done(0.9, 0.9)];
  assert.equal(decide(median({ minPeers: 2 }), curve(NaN, NaN), 2, 5, peers).prune, true);
  assert.equal(decide(median({ minPeers: 2 }), new Map([[3, 0.1]]), 3, 5, peers).prune, false);
});

test('nanPercentile matches numpy (linear interpolation, NaN ignored)', () => {
  assert.equal(nanPercentile([3, 1, 2, 4], 50), 2.5);
  assert.equal(nanPercentile([1, NaN, 3], 50), 2);
  assert.ok(Math.abs(nanPercentile([1, 2, 3, 4, 5], 25) - 2) < 1e-12);
  assert.ok(Number.isNaN(nanPercentile([NaN], 50)));
});

test('successive halving: rungs at minResource * rf^(rate + r)', () => {
  assert.deepEqual(
    [0, 1, 2].map((r) => rungEpoch(sha({ reductionFactor: 3 }), r)),
    [1, 3, 9],
  );
  assert.deepEqual(
    [0, 1].map((r) => rungEpoch(sha({ minResource: 2, reductionFactor: 2, minEarlyStoppingRate: 1 }), r)),
    [4, 8],
  );
});

test('successive halving: promotable as Optuna (top 1/rf; the first rf-1 must be the best)', () => {
  // 2 values, rf 3: index -1 -> 0: must be the best
  assert.equal(promotable(0.5, [0.6, 0.5], 3), false);
  assert.equal(promotable(0.6, [0.6, 0.5], 3), true);
  // 6 values, rf 3: the top 2 go on
  const six = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  assert.equal(promotable(0.5, six, 3), true);
  assert.equal(promotable(0.4, six, 3), false);
});

test('successive halving: a trial is judged at each rung it meets, with every reaching trial of the group', () => {
  const spec = sha({ reductionFactor: 3 });
  // The first trial of a group goes on (it competes with itself).
  assert.equal(decide(spec, curve(0.5), 1, 9, []).prune, false);
  // Rung 0 (epoch 1): worse than a running peer's epoch-1 value -> pruned (running and pruned peers count).
  const d = decide(spec, curve(0.5), 1, 9, [running(0.6)]);
  assert.equal(d.prune, true);
  assert.match(d.reason, /not in the top 1\/3 of 2 trial/);
  // Epoch 2 is not a rung: no decision, whatever the value.
  assert.equal(decide(spec, curve(0.9, 0.1), 2, 9, [running(0.95, 0.99)]).prune, false);
  // Rung 1 (epoch 3): judged on the epoch-3 value against peers that reached epoch 3.
  const peers = [done(0.1, 0.1, 0.8, 0.8), done(0.1, 0.1, 0.7, 0.7), running(0.1)];
  assert.equal(decide(spec, curve(0.9, 0.9, 0.75), 3, 9, peers).prune, true);
  assert.equal(decide(spec, curve(0.9, 0.9, 0.85), 3, 9, peers).prune, false);
});

test('successive halving: with evalEvery the rung value is the first value at or after the rung epoch', () => {
  const spec = sha({ reductionFactor: 2 }); // rungs 1, 2, 4
  const every2 = (...v: [number, number][]) => new Map(v);
  // Own values at epochs 2 and 4 only: epoch 2 meets rungs 0 and 1 at once.
  const peer: Peer = { complete: true, curve: every2([2, 0.8], [4, 0.8]) };
  assert.equal(decide(spec, every2([2, 0.7]), 2, 6, [peer]).prune, true);
  assert.equal(decide(spec, every2([2, 0.9]), 2, 6, [peer]).prune, false);
});

test('successive halving: bootstrapCount prunes until enough trials reached the rung', () => {
  const spec = sha({ reductionFactor: 2, bootstrapCount: 2 });
  assert.equal(decide(spec, curve(0.9), 1, 4, [running(0.1)]).prune, true);
  assert.equal(decide(spec, curve(0.9), 1, 4, [running(0.1), running(0.2)]).prune, false);
});

test('the comparison group: every setting but lambdaKl, lambdaRec and nu', () => {
  const base = {
    model: 'IAE-LSTM-KL',
    normalClass: 1,
    seed: 0,
    contamination: 0,
    minmax: 'train',
    boundary: 'soft',
  } as const;
  const k = pruningGroupKey({ ...base, lambdaKl: 0.1, lambdaRec: 1, nu: 0.1 });
  assert.equal(pruningGroupKey({ ...base, lambdaKl: 0.001, lambdaRec: 5, nu: 0.05 }), k);
  for (const other of [
    { normalClass: 2 },
    { seed: 1 },
    { contamination: 0.1 },
    { boundary: 'hard' as const },
    { model: 'IAEAD' as const },
    { 'kl.form': 'gaussian' as const },
  ]) {
    assert.notEqual(pruningGroupKey({ ...base, lambdaKl: 0.1, ...other }), k, JSON.stringify(other));
  }
});
