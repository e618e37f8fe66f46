// The training worker: one exported function of a plain task. It imports only
// training code (engine, data, training), never storage, CLI or UI. Each
// worker thread loads TensorFlow.js once and keeps decoded data sets between
// trials.
import { defineWorker } from '../pool/worker-side.js';
import { initBackend } from '../engine/index.js';
import { loadDataset, prepareTrialData } from '../data/index.js';
import type { RawDataset } from '../data/types.js';
import { runTrial } from '../training/index.js';
import type { Dataset } from '../study/schema.js';

const datasets = new Map<string, Promise<RawDataset>>();

function dataset(spec: Dataset): Promise<RawDataset> {
  const key = JSON.stringify([spec.name, spec.dir ?? null, spec.file ?? null]);
  let p = datasets.get(key);
  if (!p) {
    p = loadDataset(spec);
    // A failed load is not cached: the next trial tries again (the file may have been fixed).
    p.catch(() => datasets.delete(key));
    datasets.set(key, p);
  }
  return p;
}

export default defineWorker(async (task, emit) => {
  const backend = await initBackend(task.backend);
  emit({ type: 'backend', backend: backend.name, notes: backend.notes });
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
  const result = await runTrial(task, data, emit);
  return { ...result, attrs: { ...result.attrs, backend: backend.name } };
});
