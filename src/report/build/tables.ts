// The paper's tables: Tables I-VI (rows = models, columns = classes and
// Avg.), Table VII (gate ablation), Fig. 5 as a table (contamination), with
// the paper's values beside ours when asked and a note on pruning.
import type { ModelName } from '../../study/schema.js';
import { DATASETS } from '../../study/datasets.js';
import { gateOrder, modelLabel, modelsOfTable, MODEL_TRAITS } from '../../study/models.js';
import { className, classNames, datasetTitle } from '../classes.js';
import { paperTablesFor, paperValue, type PaperLookup, type PaperTable } from '../paper-values.js';
import { mean } from '../stats.js';
import { averageCell, cellOf, flagBest, provenanceOf, rowHas, type MutableCell } from './cells.js';
import type { Ctx } from './points.js';
import type { ReportTable, Selection, TableColumn } from '../types.js';

// Which models are rows of which table, and in what order, are traits of
// the one model table (src/study/models.ts).
export const MAIN_MODELS: ReadonlySet<ModelName> = new Set(modelsOfTable('main'));

export const ABLATION_MODELS: ReadonlySet<ModelName> = new Set(modelsOfTable('ablation'));

export function contaminationLabel(c: number): string {
  return `${Math.round(c * 1000) / 10}%`;
}

/** Fills paper values and differences, and returns the notes a reader needs about them. */
export function addPaper(
  ctx: Ctx,
  kind: PaperTable['kind'],
  built: readonly { paperKey: string; cells: MutableCell[] }[],
  columns: readonly TableColumn[],
): string[] {
  if (ctx.mainContamination !== 0) {
    return ["No paper comparison: the paper's tables are for uncontaminated training sets, and this study has none."];
  }
  let covered = 0;
  // Like with like: the paper's Avg. is over all its classes; a study of fewer
  // classes is compared with the paper's mean over the same classes.
  const allClasses = classNames(ctx.dataset).length;
  const subset = ctx.classes.length !== allClasses;
  let subsetAverages = 0;
  let noSubsetValues = 0;
  const paperAvg = (label: string): PaperLookup | null => {
    if (!subset) return paperValue(ctx.dataset, kind, label, 'avg');
    const found = ctx.classes.map((c) => paperValue(ctx.dataset, kind, label, c));
    if (found.length === 0 || found.some((f) => f === null)) {
      if (paperValue(ctx.dataset, kind, label, 'avg')) noSubsetValues++;
      return null;
    }
    subsetAverages++;
    return { table: found[0]!.table, value: mean(found.map((f) => f!.value))! };
  };
  for (const r of built) {
    r.cells.forEach((cell, j) => {
      const col = columns[j]!;
      const found =
        col.kind === 'avg' ? paperAvg(r.paperKey) : paperValue(ctx.dataset, kind, r.paperKey, col.normalClass!);
      if (!found) return;
      covered++;
      cell.paper = found.value;
      cell.paperTable = `Table ${found.table}`;
      cell.diff = cell.mean === null ? null : cell.mean - found.value;
    });
  }
  const which = ctx.classes.map((c) => className(ctx.dataset, c)).join(', ');
  const avgNotes = [
    ...(subsetAverages > 0
      ? [
          `Paper Avg. here is the paper's mean over the ${ctx.classes.length} classes this study has (${which}), not its published ${allClasses}-class average.`,
        ]
      : []),
    ...(noSubsetValues > 0
      ? [
          `No paper Avg. for ${noSubsetValues} row(s): the paper publishes only a ${allClasses}-class average there, and this study has ${ctx.classes.length} class(es) (${which}).`,
        ]
      : []),
  ];
  if (covered === 0 && noSubsetValues === 0)
    return [`The paper publishes no ${kind} values for ${datasetTitle(ctx.dataset)}.`];
  return [
    ...paperTablesFor(ctx.dataset, kind).flatMap((t) => (t.note ? [`Paper Table ${t.id}: ${t.note}`] : [])),
    ...avgNotes,
  ];
}

/** Tables I-VI: rows = models, columns = classes and Avg., at the main contamination. */
export function classTable(ctx: Ctx, kind: 'main' | 'ablation', models: ReadonlySet<ModelName>): ReportTable | null {
  const mc = ctx.mainContamination;
  if (mc === null) return null;
  const rowList = ctx.rows.filter((r) => models.has(r.model) && rowHas(ctx, r, mc));
  if (kind === 'ablation' && !rowList.some((r) => r.model !== 'IAE-LSTM-KL')) return null;
  if (rowList.length === 0) return null;
  const built = rowList.map((row) => {
    const cells = ctx.classes.map((c) => cellOf(ctx, row.id, c, mc));
    return { row, label: row.label, paperKey: row.paperLabel, cells: [...cells, averageCell(cells)] };
  });
  flagBest(built);
  const columns: TableColumn[] = [
    ...ctx.classes.map((c): TableColumn => ({
      key: `class:${c}`,
      label: className(ctx.dataset, c),
      kind: 'class',
      normalClass: c,
    })),
    { key: 'avg', label: 'Avg.', kind: 'avg' },
  ];
  const notes = ctx.compare ? addPaper(ctx, kind, built, columns) : [];
  return {
    kind,
    id: kind,
    title: `${kind === 'main' ? '' : 'Ablation: '}AUROC per normal class on ${datasetTitle(ctx.dataset)}`,
    paperTable: ctx.dataset ? (DATASETS[ctx.dataset].paperTables[kind] ?? null) : null,
    notes,
    columns,
    rows: built.map(({ row, label, cells }) => ({ row, label, cells })),
    provenance: provenanceOf(ctx, rowList, [mc]),
  };
}

/** Table VII: IAE-LSTM-KL and its gate variants, one average AUROC each. */
export function gateTable(ctx: Ctx): ReportTable | null {
  const mc = ctx.mainContamination;
  if (mc === null) return null;
  const rowList = ctx.rows
    .filter((r) => MODEL_TRAITS[r.model].tables.includes('gates') && rowHas(ctx, r, mc))
    .sort(
      (a, b) =>
        (a.boundary ?? 'z').localeCompare(b.boundary ?? 'z') ||
        gateOrder(a.model) - gateOrder(b.model) ||
        a.id.localeCompare(b.id),
    );
  if (!rowList.some((r) => r.model !== 'IAE-LSTM-KL')) return null;
  const built = rowList.map((row) => {
    const gate = MODEL_TRAITS[row.model].gateLabel;
    const base = modelLabel('IAE-LSTM-KL', row.boundary ?? undefined);
    const paperKey = gate ? `${base} ${gate}` : base;
    const suffix = row.label.slice(row.paperLabel.length);
    const cells = ctx.classes.map((c) => cellOf(ctx, row.id, c, mc));
    return { row, label: `${paperKey}${suffix}`, paperKey, cells: [averageCell(cells)] };
  });
  flagBest(built);
  const columns: TableColumn[] = [
    { key: 'avg', label: ctx.classes.length > 1 ? 'AUROC (avg. over classes)' : 'AUROC', kind: 'avg' },
  ];
  return {
    kind: 'gates',
    id: 'gates',
    title: `Gate ablation of IAE-LSTM-KL on ${datasetTitle(ctx.dataset)} (gates replaced by 1)`,
    paperTable: 'Table VII',
    notes: ctx.compare ? addPaper(ctx, 'gates', built, columns) : [],
    columns,
    rows: built.map(({ row, label, cells }) => ({ row, label, cells })),
    provenance: provenanceOf(ctx, rowList, [mc]),
  };
}

/** Fig. 5 as a table: average over classes per contamination ratio; only when the study has several. */
export function contaminationTable(ctx: Ctx): ReportTable | null {
  if (ctx.contaminations.length < 2) return null;
  const built = ctx.rows.map((row) => ({
    row,
    label: row.label,
    cells: ctx.contaminations.map((ct) => averageCell(ctx.classes.map((c) => cellOf(ctx, row.id, c, ct)))),
  }));
  flagBest(built);
  return {
    kind: 'contamination',
    id: 'contamination',
    title: `Average AUROC over classes vs training contamination on ${datasetTitle(ctx.dataset)}`,
    paperTable: 'Fig. 5',
    notes: [],
    columns: ctx.contaminations.map((c) => ({
      key: `contamination:${c}`,
      label: contaminationLabel(c),
      kind: 'contamination',
      contamination: c,
    })),
    rows: built,
    provenance: provenanceOf(ctx, ctx.rows, ctx.contaminations),
  };
}

/** What pruning did to a table's numbers, under the table (only when it pruned some of its points). */
export function withPruningNote(t: ReportTable, select: Selection): ReportTable {
  const n = t.provenance.pointsPruned;
  if (n === 0) return t;
  const head = `${n} grid point(s) of this table were pruned: the study's pruner stopped them early, comparing their objective AUROC per joint epoch with the other points of their (model, class, contamination, seed) group.`;
  const how =
    select === 'oracle'
      ? 'Pruned points are not candidates; the oracle choice among the rest still used their final test AUROC.'
      : select === 'median'
        ? 'The median is over the points that were not pruned; the pruned ones were the weaker ones, so it reads higher than a median over the whole grid would.'
        : 'A cell whose default point was pruned has no value.';
  return { ...t, notes: [...t.notes, `${head} ${how}`] };
}
