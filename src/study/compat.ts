// Which parts of a study may change between runs of the same study. Axes may
// grow (new points are added) and the worker count or backend may change; the
// fixed training settings may not, or old and new trials would not be
// comparable in one table.
import type { Study } from './schema.js';
import { canonicalJson } from '../grid/expand.js';

export function fixedSettings(study: Study) {
  return { dataset: study.dataset, training: study.training, arch: study.arch, objective: study.objective };
}

/** "training.jointEpochs: 20 -> 10" lines for each fixed setting that differs. */
export function fixedSettingsDiff(stored: unknown, current: Study): string[] {
  const a = flatten(stored ?? {});
  const b = flatten(fixedSettings(current));
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k] ?? '(absent)'} -> ${b[k] ?? '(absent)'}`);
}

function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (v !== undefined) out[prefix] = canonicalJson(v);
  return out;
}
