// Which parts of a study may change between runs of the same study. Axes may
// grow (new points are added) and the worker count or backend may change; the
// fixed training settings may not, or old and new trials would not be
// comparable in one table.
import type { Study } from './schema.js';
import { canonicalJson } from '../json.js';

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

/**
 * "lambdaKl: removed 0.1" / "normalClass: added 3" for each axis whose values
 * differ between two grids (as stored: plain JSON). Unknown or absent grids
 * compare as empty.
 */
export function gridChanges(before: unknown, after: unknown): string[] {
  const axes = (g: unknown): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    if (g !== null && typeof g === 'object' && !Array.isArray(g))
      for (const [k, v] of Object.entries(g)) out[k] = Array.isArray(v) ? v.map((x) => canonicalJson(x)) : [];
    return out;
  };
  const a = axes(before);
  const b = axes(after);
  const lines: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const was = new Set(a[k] ?? []);
    const now = new Set(b[k] ?? []);
    const removed = [...was].filter((x) => !now.has(x));
    const added = [...now].filter((x) => !was.has(x));
    if (removed.length) lines.push(`${k}: removed ${removed.join(', ')}`);
    if (added.length) lines.push(`${k}: added ${added.join(', ')}`);
  }
  return lines;
}

/** One entry of the study system attribute `definition_history`: every definition a study has had, oldest first. */
export interface DefinitionRecord {
  readonly hash: string;
  readonly at: string;
  /** gridChanges from the previous definition (empty for the first). */
  readonly changes: string[];
  /** Other fields of the study file that changed (workers, backend, defaultPoint ...). */
  readonly otherChanges: string[];
}
