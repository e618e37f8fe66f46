// The task a worker gets for a claimed trial: the trial's params and the
// study's fixed settings, nothing that needs the database.
import type { FrozenTrial } from '../../../storage/storage.js';
import type { TrialTask } from '../../../pool/messages.js';
import type { BackendChoice, Study } from '../../../study/schema.js';

export function taskMaker(
  study: Study,
  backend: BackendChoice,
  cacheDir: string | null,
): (trial: FrozenTrial) => TrialTask {
  return (trial) => ({
    trialId: trial.id,
    trialNumber: trial.number,
    study: study.name,
    params: trial.params,
    dataset: study.dataset,
    training: study.training,
    arch: study.arch,
    objective: study.objective,
    backend,
    cacheDir,
  });
}
