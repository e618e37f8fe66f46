// The words every region uses for a trial: its label, tuned values, class, backends.
import type { TrialParams } from '../../grid/expand.js';
import { modelLabel } from '../../study/models.js';
import { className } from '../../report/index.js';
import type { Glyphs } from '../caps.js';
import type { SweepSnapshot } from '../model.js';
import { fmtParam } from '../format.js';

/** "IAE-LSTM-KL(h)". */
export function labelOf(p: TrialParams): string {
  return modelLabel(p.model, p.boundary);
}

/** The tuned values of a point: "λKL=0.001 λrec=1 ν=0.1". */
export function tunedText(p: TrialParams, g: Glyphs): string {
  const parts: string[] = [];
  if (p.lambdaKl !== undefined) parts.push(`${g.lambdaKl}=${fmtParam(p.lambdaKl)}`);
  if (p.lambdaRec !== undefined) parts.push(`${g.lambdaRec}=${fmtParam(p.lambdaRec)}`);
  if (p.nu !== undefined) parts.push(`${g.nu}=${fmtParam(p.nu)}`);
  if (p.contamination > 0) parts.push(`cont=${p.contamination}`);
  return parts.join(' ');
}

export function classText(p: TrialParams, dataset: SweepSnapshot['dataset']): string {
  const name = className(dataset, p.normalClass);
  return name === `class ${p.normalClass}` ? name : `${p.normalClass} ${name}`;
}

/**
 * Runs of workers with the same backend: "w0-w5 tensorflow, w6-w7 wasm".
 * Workers that have not reported yet read "?".
 */
export function backendSummary(backends: readonly (string | null)[]): string {
  if (backends.length === 0) return 'backend ?';
  const runs: { from: number; to: number; name: string }[] = [];
  backends.forEach((b, i) => {
    const name = b ?? '?';
    const last = runs[runs.length - 1];
    if (last && last.name === name && last.to === i - 1) last.to = i;
    else runs.push({ from: i, to: i, name });
  });
  if (runs.length === 1) return `backend ${runs[0]!.name} (${backends.length} worker${backends.length > 1 ? 's' : ''})`;
  return 'backend ' + runs.map((r) => `${r.from === r.to ? `w${r.from}` : `w${r.from}-w${r.to}`} ${r.name}`).join(', ');
}
