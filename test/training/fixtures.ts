// Tiny seeded tasks and data for the training tests: networks small enough
// for the cpu backend (channels [4, 8, 8], latent 16), a handful of images.
import type { TrialData } from '../../src/data/types.js';
import type { TrialParams } from '../../src/grid/expand.js';
import type { Progress, TrialTask } from '../../src/training/messages.js';
import type { Training } from '../../src/study/schema.js';
import { rngStream } from '../../src/models/index.js';

export const TINY_TRAINING: Training = {
  pretrainEpochs: 1,
  jointEpochs: 1,
  batchSize: 8,
  lr: 1e-3,
  weightDecay: 0.5e-6,
  amsgrad: true,
  warmupEpochs: 0,
  lrMilestone: 250,
};

export function tinyTask(
  params: Partial<TrialParams> & Pick<TrialParams, 'model'>,
  over: Partial<TrialTask> = {},
): TrialTask {
  return {
    trialId: 1,
    trialNumber: 0,
    study: 'test',
    params: { normalClass: 0, seed: 0, contamination: 0, minmax: 'train', ...params },
    dataset: { name: 'synthetic' },
    training: TINY_TRAINING,
    arch: { channels: [4, 8, 8], latent: 16 },
    objective: 'svdd',
    backend: 'cpu',
    cacheDir: null,
    ...over,
  };
}

/**
 * Normal images: a bright blob at a jittered spot; anomalies: horizontal
 * stripes. Both with pixel noise, values in [0, 1].
 */
export function tinyData(opts: { nTrain?: number; nTest?: number; channels?: number; seed?: number } = {}): TrialData {
  const { nTrain = 16, nTest = 16, channels = 1, seed = 0 } = opts;
  const rng = rngStream(seed, 'tiny-data');
  const px = 32 * 32 * channels;
  const draw = (out: Float32Array, i: number, anomaly: boolean) => {
    const cx = 12 + rng.next() * 8;
    const cy = 12 + rng.next() * 8;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const v = anomaly ? (Math.floor(y / 4) % 2 ? 0.8 : 0.1) : Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 40);
        for (let c = 0; c < channels; c++)
          out[i * px + (y * 32 + x) * channels + c] = Math.min(1, Math.max(0, v + 0.05 * rng.normal()));
      }
  };
  const trainX = new Float32Array(nTrain * px);
  for (let i = 0; i < nTrain; i++) draw(trainX, i, false);
  const testX = new Float32Array(nTest * px);
  const testY = new Uint8Array(nTest);
  for (let i = 0; i < nTest; i++) {
    testY[i] = i % 2;
    draw(testX, i, testY[i] === 1);
  }
  return { height: 32, width: 32, channels, trainX, nTrain, testX, testY, nTest };
}

/**
 * The training tests run on the engine's wasm backend (fast enough for real
 * training steps); TEST_BACKEND=cpu runs them on the pure-JS one instead.
 */
export async function useTestBackend(): Promise<string> {
  const { initBackend } = await import('../../src/engine/index.js');
  const b = await initBackend((process.env.TEST_BACKEND ?? 'wasm') as 'wasm' | 'cpu');
  return b.name;
}

/** Runs a trial and collects its progress messages. */
export async function collect<T>(
  run: (emit: (p: Progress) => void) => Promise<T>,
): Promise<{ result: T; events: Progress[] }> {
  const events: Progress[] = [];
  const result = await run((p) => events.push(p));
  return { result, events };
}
