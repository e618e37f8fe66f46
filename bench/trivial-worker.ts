// A trial function that does no training: it reports one epoch and returns
// at once, so the scheduler benchmark measures the orchestrator alone.
import { defineWorker } from '../src/training/worker-side.js';

export default defineWorker(async (task, emit) => {
  const value = (task.trialNumber % 97) / 97;
  emit({ type: 'epoch', phase: 'joint', epoch: 1, epochs: 1, losses: { total: 1 - value }, auroc: { svdd: value } });
  return { value, auroc: { svdd: value }, attrs: {} };
});
