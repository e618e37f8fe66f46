// Fig. 4: AUROC per joint epoch, mean over classes and seeds of the
// selected points' histories.
import { mean, median, sampleStd } from '../stats.js';
import { push, type Ctx } from './points.js';
import type { Curve } from '../types.js';

/** Fig. 4: per epoch, mean over classes and seeds of the selected points' histories. */
export function buildCurves(ctx: Ctx): Curve[] {
  const mc = ctx.mainContamination;
  if (mc === null) return [];
  const curves: Curve[] = [];
  for (const row of ctx.rows) {
    const perEpoch = new Map<number, number[]>();
    const contributing = new Set<number>();
    for (const c of ctx.classes) {
      for (const g of ctx.cellGroups.get(`${row.id}#${c}#${mc}`) ?? []) {
        let hist: readonly { epoch: number; value: number }[] | null;
        if (ctx.select === 'median') {
          // The per-epoch median over the group's finished points (not the curve of any one point).
          const byEpoch = new Map<number, number[]>();
          for (const p of g.points)
            if (p.final !== null && p.final !== undefined)
              for (const h of p.history ?? []) push(byEpoch, h.epoch, h.value);
          hist = [...byEpoch].map(([epoch, vs]) => ({ epoch, value: median(vs)! }));
        } else hist = ctx.chosen.get(g.key)!.point?.history ?? null;
        if (!hist || hist.length === 0) continue;
        contributing.add(c);
        for (const h of hist) push(perEpoch, h.epoch, h.value);
      }
    }
    if (perEpoch.size === 0) continue;
    const epochs = [...perEpoch.keys()].sort((a, b) => a - b);
    curves.push({
      row,
      contamination: mc,
      epochs,
      mean: epochs.map((e) => mean(perEpoch.get(e)!)!),
      std: epochs.map((e) => sampleStd(perEpoch.get(e)!)),
      n: epochs.map((e) => perEpoch.get(e)!.length),
      classes: contributing.size,
      classesExpected: ctx.classes.length,
    });
  }
  return curves;
}
