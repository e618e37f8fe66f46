// Memory: 50 consecutive trials in one worker (here, this thread, as a worker
// runs them) must leave tf.memory().numTensors at its baseline after each
// trial and grow RSS by under 50 MB. Prints both, per trial and in total.
//   node --import tsx bench/memory.ts [trials=50] [--paper]
// Default: a mid-size network (channels 8/16/32, latent 32) on Fashion-MNIST
// subsets; --paper uses the paper's network (slow on a CPU).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/index.js';
import { loadDataset, prepareTrialData } from '../src/data/index.js';
import { runTrial } from '../src/training/index.js';
import { Study } from '../src/study/schema.js';
import { expandGrid } from '../src/grid/expand.js';
import type { TrialTask } from '../src/pool/messages.js';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 50);
const paper = process.argv.includes('--paper');
const study = Study.parse({
  name: 'bench-memory',
  dataset: { name: 'fashion-mnist', trainSize: 128, testSize: 256 },
  grid: {
    model: ['IAE-LSTM-KL'],
    normalClass: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    boundary: ['hard', 'soft'],
    lambdaKl: [0.001, 0.1, 1],
    seed: [0, 1],
  },
  training: { pretrainEpochs: 1, jointEpochs: 1, batchSize: 32, warmupEpochs: 0 },
  arch: paper ? {} : { channels: [8, 16, 32], latent: 32 },
});
const backend = await initBackend('auto');
const raw = await loadDataset(study.dataset);
const points = expandGrid(study.grid);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

const baseline = tf.memory().numTensors;
let rss0 = 0;
const counts: number[] = [];
const t0 = Date.now();
for (let i = 0; i < n; i++) {
  const { params } = points[i % points.length]!;
  const task: TrialTask = {
    trialId: i,
    trialNumber: i,
    study: study.name,
    params,
    dataset: study.dataset,
    training: study.training,
    arch: study.arch,
    objective: 'svdd',
    backend: 'auto',
    cacheDir: null,
  };
  const data = prepareTrialData(raw, {
    ...params,
    trainSize: study.dataset.trainSize,
    testSize: study.dataset.testSize,
  });
  await runTrial(task, data, () => {});
  counts.push(tf.memory().numTensors);
  const rss = process.memoryUsage().rss;
  // RSS after the first trial is the reference: it includes the backend's one-time growth.
  if (i === 0) rss0 = rss;
  if (i === 0 || (i + 1) % 10 === 0)
    console.log(`trial ${i + 1}: numTensors ${counts[i]} (baseline ${baseline}), rss ${mb(rss)} MB`);
}
const rss = process.memoryUsage().rss;
const leaks = counts.filter((c) => c !== baseline).length;
console.log(`backend ${backend.name}, ${n} trials in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(
  `trials that left tensors behind: ${leaks} of ${n} (numTensors baseline ${baseline}, max after a trial ${Math.max(...counts)})`,
);
console.log(`RSS growth from trial 1 to trial ${n}: ${mb(rss - rss0)} MB (target < 50 MB)`);
