// The replay of a pruner over finished curves (src/pruners/replay.ts): which
// trials it stops, after which epoch, and what that does to the oracle's pick.
// bench/pruning-replay.ts --check compares it with real pruned runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pruner } from '../../src/study/schema.js';
import { picksAfterReplay, replayPruner, type ReplayTrial } from '../../src/pruners/index.js';
import type { TrialParams } from '../../src/grid/expand.js';

const params = (normalClass: number, lambdaKl: number): TrialParams =>
  ({
    model: 'IAE-LSTM-KL',
    normalClass,
    boundary: 'hard',
    lambdaKl,
    lambdaRec: 1,
    seed: 0,
    contamination: 0,
    minmax: 'train',
  }) as TrialParams;
const trial = (number: number, normalClass: number, ...values: number[]): ReplayTrial => ({
  number,
  params: params(normalClass, number / 100),
  curve: new Map(values.map((v, i) => [i + 1, v])),
});
const sha = (o: Record<string, unknown>) => Pruner.parse({ kind: 'successive-halving', ...o });

test('successive halving, one worker: the trials it stops, the epochs it saves, the pick it changes', () => {
  const trials = [trial(0, 0, 0.5, 0.6, 0.7), trial(1, 0, 0.4, 0.9, 0.95), trial(2, 0, 0.6, 0.5, 0.4)];
  const spec = sha({ minResource: 1, reductionFactor: 2 });
  const r = replayPruner(trials, spec, { workers: 1, lastEpoch: 3 });
  // Trial 0 runs alone and finishes. Trial 1 is not the best of two at epoch 1 (0.4 < 0.5): stopped.
  // Trial 2 is the best of three at epoch 1, then at rung 1 (epoch 2) 0.5 < trial 0's 0.6: stopped.
  assert.deepEqual(
    [...r.prunedAt],
    [
      [1, 1],
      [2, 2],
    ],
  );
  assert.equal(r.jointEpochs, 3 + 1 + 2);
  assert.equal(r.fullJointEpochs, 9);
  const [pick] = [...picksAfterReplay(trials, r, 3).values()];
  // The late riser (trial 1, 0.95 at the end) was stopped: the pick falls to trial 0's 0.7.
  assert.deepEqual(pick, { full: { value: 0.95, trial: 1 }, pruned: { value: 0.7, trial: 0 } });
});

test('trials are compared within their group only, and a pruner that cannot decide saves nothing', () => {
  // Class 1's trial is worse than class 0's at every epoch but has no peer of its own class.
  const trials = [trial(0, 0, 0.9, 0.9), trial(1, 1, 0.1, 0.1)];
  const r = replayPruner(trials, sha({ minResource: 1, reductionFactor: 2 }), { workers: 1, lastEpoch: 2 });
  assert.equal(r.prunedAt.size, 0);
  assert.equal(r.jointEpochs, 4);
  const cautious = Pruner.parse({ kind: 'median', minPeers: 100 });
  const many = [0, 1, 2, 3].map((n) => trial(n, 0, 0.5 - n / 10, 0.6 - n / 10));
  const none = replayPruner(many, cautious, { workers: 2, lastEpoch: 2 });
  assert.deepEqual([none.jointEpochs, none.prunedAt.size], [8, 0]);
  for (const p of picksAfterReplay(many, none, 2).values()) assert.deepEqual(p.pruned, p.full);
});

test('with two workers the first trials meet a rung together, and a pretraining holds its trials back', () => {
  // Three trials of one class; with one worker trial 1 meets trial 0's better epoch 1 and stops.
  const trials = [trial(0, 0, 0.8, 0.8), trial(1, 0, 0.7, 0.7), trial(2, 0, 0.1, 0.1)];
  const spec = sha({ minResource: 1, reductionFactor: 2 });
  assert.deepEqual([...replayPruner(trials, spec, { workers: 1, lastEpoch: 2 }).prunedAt.keys()], [1, 2]);
  // With two workers and no pretraining, trials 0 and 1 both report epoch 1 at time 1; trial 0 first,
  // so trial 1 still meets it: the same trials stop.
  assert.deepEqual([...replayPruner(trials, spec, { workers: 2, lastEpoch: 2 }).prunedAt.keys()], [1, 2]);
  // Class 0 pretrains on one worker; trial 1 waits for that pretraining instead of starting
  // (and passing rung 0 alone), so the second worker takes class 1's trial 2.
  const mixed = [trial(0, 0, 0.8, 0.8), trial(1, 0, 0.7, 0.7), trial(2, 1, 0.5, 0.5), trial(3, 1, 0.9, 0.9)];
  const r = replayPruner(mixed, spec, { workers: 2, lastEpoch: 2, pretrainUnits: 3 });
  // Trials 0 and 2 pretrain (0-3) and finish at 5, each alone in its class. Then trial 1 meets
  // trial 0's better epoch 1 and stops; trial 3 is the better of two in class 1 and goes on.
  assert.deepEqual([...r.prunedAt], [[1, 1]]);
  assert.equal(r.jointEpochs, 2 + 1 + 2 + 2);
});
