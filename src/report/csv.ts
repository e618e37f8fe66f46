// CSV in long ("tidy") form, one row per table cell, full precision: easy to
// load in pandas or R and re-aggregate. Every line carries its provenance in
// columns, so a file never loses it when split or concatenated.
import type { Curve, HyperGrid, ReportModel } from './types.js';

/** RFC 4180 quoting: only where needed. */
function field(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(
  header: readonly string[],
  rows: readonly (readonly (string | number | boolean | null | undefined)[])[],
): string {
  return [header.join(','), ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}

function provenanceFields(model: ReportModel) {
  const p = model.provenance;
  return [
    p.definitionHash,
    p.backends.join(';'),
    p.epochs.pretrain,
    p.epochs.joint,
    p.version,
    p.commit,
    p.generatedAt,
  ];
}
const PROVENANCE_HEADER = [
  'definition_hash',
  'backends',
  'epochs_pretrain',
  'epochs_joint',
  'version',
  'commit',
  'generated_at',
];

/** Every cell of every table of the model. */
export function renderTablesCsv(model: ReportModel): string {
  const header = [
    'study',
    'selection',
    'table',
    'paper_table',
    'row_id',
    'row_label',
    'model',
    'boundary',
    'score',
    'column',
    'normal_class',
    'contamination',
    'mean',
    'std',
    'n',
    'seeds_expected',
    'complete',
    'best',
    'classes_used',
    'classes_expected',
    'paper',
    'paper_source',
    'diff',
    'trials_used',
    'points_missing',
    'trials_failed',
    'points_pruned',
    ...PROVENANCE_HEADER,
  ];
  const rows: (string | number | boolean | null | undefined)[][] = [];
  for (const t of model.tables) {
    for (const r of t.rows) {
      r.cells.forEach((c, j) => {
        const col = t.columns[j]!;
        rows.push([
          model.study.name,
          model.selection.select,
          t.id,
          t.paperTable,
          r.row.id,
          r.label,
          r.row.model,
          r.row.boundary,
          r.row.score,
          col.label,
          col.normalClass,
          col.contamination ?? (t.kind === 'contamination' ? undefined : model.mainContamination),
          c.mean,
          c.std,
          c.n,
          c.seedsExpected,
          c.complete,
          c.best,
          c.classesUsed,
          c.classesExpected,
          c.paper,
          c.paperTable,
          c.diff,
          t.provenance.trialsUsed,
          t.provenance.pointsMissing,
          t.provenance.trialsFailed,
          t.provenance.pointsPruned,
          ...provenanceFields(model),
        ]);
      });
    }
  }
  return csv(header, rows);
}

/** Every point of every hyperparameter grid (independent of the selection). */
export function renderGridsCsv(model: ReportModel, grids: readonly HyperGrid[] = model.grids): string {
  const header = [
    'study',
    'row_id',
    'row_label',
    'model',
    'boundary',
    'score',
    'normal_class',
    'class_name',
    'contamination',
    'nu',
    'x_axis',
    'x',
    'y_axis',
    'y',
    'mean',
    'std',
    'n',
    'seeds_expected',
    'oracle_seeds',
    'is_default',
    'trials',
    ...PROVENANCE_HEADER,
  ];
  const rows: (string | number | boolean | null | undefined)[][] = [];
  for (const g of grids) {
    g.cells.forEach((line, i) =>
      line.forEach((c, j) => {
        rows.push([
          model.study.name,
          g.row.id,
          g.row.label,
          g.row.model,
          g.row.boundary,
          g.row.score,
          g.normalClass,
          g.className,
          g.contamination,
          g.nu,
          g.x.key,
          g.x.values[j],
          g.y.key,
          g.y.values[i],
          c.mean,
          c.std,
          c.n,
          c.seedsExpected,
          c.oracleSeeds,
          c.isDefault,
          c.trialNumbers.join(';'),
          ...provenanceFields(model),
        ]);
      }),
    );
  }
  return csv(header, rows);
}

/** AUROC per joint epoch of each row (Fig. 4's data). */
export function renderCurvesCsv(model: ReportModel, curves: readonly Curve[] = model.curves): string {
  const header = [
    'study',
    'selection',
    'row_id',
    'row_label',
    'score',
    'contamination',
    'epoch',
    'mean',
    'std',
    'n',
    'classes',
    ...PROVENANCE_HEADER,
  ];
  const rows: (string | number | boolean | null | undefined)[][] = [];
  for (const c of curves) {
    c.epochs.forEach((e, i) => {
      rows.push([
        model.study.name,
        model.selection.select,
        c.row.id,
        c.row.label,
        c.row.score,
        c.contamination,
        e,
        c.mean[i],
        c.std[i],
        c.n[i],
        c.classes,
        ...provenanceFields(model),
      ]);
    });
  }
  return csv(header, rows);
}
