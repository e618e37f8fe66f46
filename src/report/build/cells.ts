// Steps 3 and 4 of a cell (model.ts): a class cell over seeds, an average
// cell over classes, the best flag per column, and what a table's cells used
// (provenance).
import { mean, round3, sampleStd } from '../stats.js';
import { isPruned } from './selection.js';
import type { Chosen, Ctx } from './points.js';
import type { Cell, ReportRow, SeedResult, TableProvenance } from '../types.js';

export type MutableCell = { -readonly [K in keyof Cell]: Cell[K] };

export function emptyCell(seedsExpected = 0): MutableCell {
  return { mean: null, std: null, n: 0, seedsExpected, complete: false, best: false, seeds: [] };
}

export function classCell(chosen: readonly Chosen[]): MutableCell {
  const seeds = chosen
    .map((c) => c.result)
    .filter((r): r is SeedResult => r !== null)
    .sort((a, b) => a.seed - b.seed);
  const values = seeds.map((s) => s.value);
  return {
    mean: mean(values),
    std: sampleStd(values),
    n: seeds.length,
    seedsExpected: chosen.length,
    complete: chosen.length > 0 && chosen.every((c) => c.complete),
    best: false,
    seeds,
  };
}

/** The average over classes of class cells (see the file comment). */
export function averageCell(classCells: readonly MutableCell[]): MutableCell {
  const used = classCells.filter((c) => c.mean !== null);
  const bySeed = used.map((c) => new Map(c.seeds.map((s) => [s.seed, s.value])));
  const common =
    used.length === 0 ? [] : used[0]!.seeds.map((s) => s.seed).filter((s) => bySeed.every((m) => m.has(s)));
  const perSeed = common.map((s) => mean(bySeed.map((m) => m.get(s)!))!);
  return {
    mean: mean(used.map((c) => c.mean!)),
    std: sampleStd(perSeed),
    n: common.length,
    seedsExpected: Math.max(0, ...classCells.map((c) => c.seedsExpected)),
    complete: classCells.length > 0 && classCells.every((c) => c.complete),
    best: false,
    seeds: [],
    classesUsed: used.length,
    classesExpected: classCells.length,
  };
}

/** Flags the best value of each column as printed (three decimals). Partial averages do not compete. */
export function flagBest(rows: readonly { cells: MutableCell[] }[]): void {
  const ncol = rows[0]?.cells.length ?? 0;
  for (let j = 0; j < ncol; j++) {
    const competing = rows
      .map((r) => r.cells[j]!)
      .filter((c) => c.mean !== null && (c.classesExpected === undefined || c.classesUsed === c.classesExpected));
    if (competing.length === 0) continue;
    const top = Math.max(...competing.map((c) => round3(c.mean!)));
    for (const c of competing) if (round3(c.mean!) === top) c.best = true;
  }
}

export function cellOf(ctx: Ctx, rowId: string, normalClass: number, contamination: number): MutableCell {
  const gs = ctx.cellGroups.get(`${rowId}#${normalClass}#${contamination}`);
  return gs ? classCell(gs.map((g) => ctx.chosen.get(g.key)!)) : emptyCell();
}

export function rowHas(ctx: Ctx, row: ReportRow, contamination: number): boolean {
  return ctx.classes.some((c) => ctx.cellGroups.has(`${row.id}#${c}#${contamination}`));
}

export function provenanceOf(ctx: Ctx, rowList: readonly ReportRow[], conts: readonly number[]): TableProvenance {
  const used = new Set<number>();
  let missing = 0;
  let failed = 0;
  let pruned = 0;
  const seeds = new Set<number>();
  for (const g of ctx.groups.values()) {
    if (!rowList.includes(g.row) || !conts.includes(g.contamination)) continue;
    const c = ctx.chosen.get(g.key)!;
    for (const n of c.result?.trialNumbers ?? []) used.add(n);
    missing += c.missing;
    for (const p of g.points) failed += p.failed;
    pruned += g.points.filter(isPruned).length;
    seeds.add(g.seed);
  }
  return {
    trialsUsed: used.size,
    pointsMissing: missing,
    trialsFailed: failed,
    pointsPruned: pruned,
    seeds: [...seeds].sort((a, b) => a - b),
    contaminations: [...conts],
  };
}
