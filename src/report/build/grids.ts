// The hyperparameter grids (the heatmaps): final AUROC per tuned point over
// seeds, no selection; the oracle's picks and the default point marked.
import { className } from '../classes.js';
import { mean, sampleStd } from '../stats.js';
import { push, sameNumber, TUNED_KEYS, type Ctx, type Point, type TunedKey } from './points.js';
import type { GridCell, HyperGrid } from '../types.js';

/** Hyperparameter grids: final AUROC per point over seeds, no selection; the oracle's picks and the default point marked. */
export function buildGrids(ctx: Ctx): HyperGrid[] {
  const dp = ctx.def?.defaultPoint;
  const isDefault = (p: Point): boolean =>
    !!dp &&
    TUNED_KEYS.every((k) => p.params[k] === undefined || (dp[k] !== undefined && sameNumber(p.params[k]!, dp[k]!)));
  const grids: HyperGrid[] = [];
  for (const row of ctx.rows) {
    for (const c of ctx.classes) {
      for (const ct of ctx.contaminations) {
        const gs = ctx.cellGroups.get(`${row.id}#${c}#${ct}`);
        if (!gs) continue;
        const pts = gs.flatMap((g) => g.points);
        if (pts.length <= gs.length) continue; // one point per seed: nothing was tuned
        const values = (k: TunedKey): number[] =>
          [...new Set(pts.map((p) => p.params[k]).filter((v): v is number => v !== undefined))].sort((a, b) => a - b);
        const has = (k: TunedKey) => values(k).length > 0;
        // lambdaKl across and lambdaRec up when both apply (nu pages); otherwise the tuned axes that do.
        const [xKey, yKey]: [TunedKey | null, TunedKey | null] =
          has('lambdaKl') && has('lambdaRec')
            ? ['lambdaKl', 'lambdaRec']
            : has('lambdaKl') && has('nu')
              ? ['lambdaKl', 'nu']
              : has('lambdaRec') && has('nu')
                ? ['nu', 'lambdaRec']
                : [TUNED_KEYS.find(has) ?? null, null];
        const pageKey: TunedKey | null = has('nu') && xKey !== 'nu' && yKey !== 'nu' ? 'nu' : null;
        const x = { key: xKey, values: xKey ? values(xKey) : [null] };
        const y = { key: yKey, values: yKey ? values(yKey) : [null] };
        // Index the points by cell once: a grid of 10 x 10 x 5 with many seeds stays linear.
        const cellKey = (xv: unknown, yv: unknown, pv: unknown) => `${xv}|${yv}|${pv}`;
        const byCell = new Map<string, Point[]>();
        for (const p of pts)
          push(byCell, cellKey(xKey && p.params[xKey], yKey && p.params[yKey], pageKey && p.params[pageKey]), p);
        const oracleIds = new Set(gs.map((g) => ctx.oracle.get(g.key)!.point?.id).filter(Boolean));
        for (const nu of pageKey ? values(pageKey) : [null]) {
          const cells: GridCell[][] = y.values.map((yv) =>
            x.values.map((xv) => {
              const here = byCell.get(cellKey(xKey && xv, yKey && yv, pageKey && nu)) ?? [];
              const vals = here.filter((p) => p.final !== null && p.final !== undefined).map((p) => p.final!);
              return {
                mean: mean(vals),
                std: sampleStd(vals),
                n: vals.length,
                seedsExpected: here.length,
                oracleSeeds: here.filter((p) => oracleIds.has(p.id)).length,
                isDefault: here.length > 0 && isDefault(here[0]!),
                trialNumbers: here
                  .filter((p) => p.complete)
                  .map((p) => p.complete!.number)
                  .sort((a, b) => a - b),
              };
            }),
          );
          grids.push({
            id: `${row.id}#class=${c}#contamination=${ct}${pageKey ? `#nu=${nu}` : ''}`,
            row,
            normalClass: c,
            className: className(ctx.dataset, c),
            contamination: ct,
            x,
            y,
            nu,
            cells,
          });
        }
      }
    }
  }
  return grids;
}
