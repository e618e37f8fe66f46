// `sweep status <study>`: counts per state, the best trial, backends used.
// Opens the database read-only, so it is safe beside a running sweep.
import { TRIAL_STATE_NAMES, TrialState } from '../../../trial/state.js';
import { backendLabel } from '../../../trial/attrs.js';
import { openTargetReadonly, resolveTarget } from '../../target.js';
import { describeParams } from '../start/log.js';

export interface StatusOptions {
  readonly target: string;
  readonly db?: string;
  readonly write: (line: string) => void;
}

export function runStatus(opts: StatusOptions): void {
  const target = resolveTarget(opts.target, opts.db);
  const { storage, study } = openTargetReadonly(target);
  try {
    const counts = storage.countTrials(study.id);
    const order = [TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING, TrialState.FAIL, TrialState.PRUNED];
    const total = order.reduce((s: number, k) => s + counts[k], 0);
    opts.write(`study ${study.name} (${target.dbPath})`);
    opts.write(`trials: ${total} ` + order.map((k) => `${TRIAL_STATE_NAMES[k]} ${counts[k]}`).join(', '));
    const done = storage.getTrials(study.id, [TrialState.COMPLETE]);
    const backends = new Set(done.map((t) => backendLabel(t.userAttrs) ?? 'unknown'));
    if (done.length > 0) {
      const best = done.reduce((a, b) => ((b.value ?? -Infinity) > (a.value ?? -Infinity) ? b : a));
      opts.write(`best: trial ${best.number} value ${best.value?.toFixed(4)} ${describeParams(best.params)}`);
      opts.write(`backends: ${[...backends].join(', ')}`);
    }
    const pruned = storage.getTrials(study.id, [TrialState.PRUNED]);
    for (const t of pruned.slice(-3)) {
      const at = t.userAttrs.pruned_at as { epoch?: number; reason?: string } | undefined;
      opts.write(`pruned: trial ${t.number} ${describeParams(t.params)} after joint epoch ${at?.epoch ?? '?'}: ${at?.reason ?? ''}`);
    }
    const failed = storage.getTrials(study.id, [TrialState.FAIL]);
    for (const t of failed.slice(-5)) opts.write(`failed: trial ${t.number} ${describeParams(t.params)}: ${String(t.userAttrs.error ?? '')}`);
  } finally {
    storage.close();
  }
}
