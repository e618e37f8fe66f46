// Which trials a trial is compared with: those of the same grid point except
// for the tuned axes (lambdaKl, lambdaRec, nu). That is every other setting of
// the point (model, normalClass, boundary, contamination, seed, minmax,
// lstm.mode, kl.form), which is exactly the group the export's oracle
// selection chooses among (src/report), so a trial is only ever stopped by the
// points it would have competed with in its table cell.
import type { TrialParams } from '../grid/expand.js';
import { canonicalJson } from '../json.js';

export const TUNED_AXES = ['lambdaKl', 'lambdaRec', 'nu'] as const;

export function pruningGroupKey(params: TrialParams): string {
  const rest: Record<string, unknown> = { ...params };
  for (const k of TUNED_AXES) delete rest[k];
  return canonicalJson(rest);
}
