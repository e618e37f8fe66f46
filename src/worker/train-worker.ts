// The training worker: one exported function of a plain task. It imports only
// training code (engine, data, training), never storage, CLI or UI. Each
// worker thread loads TensorFlow.js once and keeps decoded data sets between
// trials.
import { workerData } from 'node:worker_threads';
import { defineWorker } from '../training/worker-side.js';
import { initBackend } from '../engine/index.js';
import { loadDatasetShared, prepareTrialData } from '../data/index.js';
import type { RawDataset } from '../data/types.js';
import { runTrial } from '../training/index.js';
import type { Dataset } from '../study/schema.js';
import { datasetKey } from './dataset-key.js';

// Data sets the main thread decoded into shared memory (threads); a worker
// process, or a data set the main thread did not send, loads its own.
const shared = ((workerData as { datasets?: Record<string, RawDataset> } | null)?.datasets ?? {}) as Record<
  string,
  RawDataset
>;
const datasets = new Map<string, Promise<RawDataset>>(Object.entries(shared).map(([k, v]) => [k, Promise.resolve(v)]));

function dataset(spec: Dataset): Promise<RawDataset> {
  const key = datasetKey(spec);
  let p = datasets.get(key);
  if (!p) {
    p = loadDatasetShared(spec);
    // A failed load is not cached: the next trial tries again (the file may have been fixed).
    p.catch(() => datasets.delete(key));
    datasets.set(key, p);
  }
  return p;
}

export default defineWorker(async (task, emit, alive, shouldStop) => {
  const backend = await initBackend(task.backend);
  emit({
    type: 'backend',
    backend: backend.name,
    notes: backend.notes,
    ...(backend.kernels ? { kernels: backend.kernels } : {}),
  });
  emit({ type: 'step', step: 'data' });
  const raw = await dataset(task.dataset);
  const p = task.params;
  const data = prepareTrialData(raw, {
    normalClass: p.normalClass,
    seed: p.seed,
    contamination: p.contamination,
    minmax: p.minmax,
    trainSize: task.dataset.trainSize,
    testSize: task.dataset.testSize,
  });
  return runTrial(task, data, emit, { alive, shouldStop });
});
