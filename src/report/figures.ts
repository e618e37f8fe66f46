// The paper's figures from a report model: Fig. 4 (AUROC per joint epoch),
// Fig. 5 (average AUROC vs contamination) and one heatmap per hyperparameter
// grid. Colours follow the model (the same model keeps its colour in every
// figure); soft-boundary rows are dashed.
import type { ModelName } from '../study/schema.js';
import { fmtPercent } from './format.js';
import { AUROC_DOMAIN, PALETTE, heatmap, linePlot, type Series } from './svg.js';
import type { HyperGrid, ReportModel, ReportRow } from './types.js';

const MODEL_COLOR: Readonly<Record<ModelName, string>> = {
  CAE: PALETTE[7]!,
  MemAE: PALETTE[5]!,
  VAE: PALETTE[6]!,
  GaussianAD: PALETTE[8]!,
  LSA: PALETTE[9]!,
  DeepSVDD: PALETTE[0]!,
  IAEAD: PALETTE[2]!,
  'DSVDD-KL': PALETTE[4]!,
  DLSVDD: PALETTE[1]!,
  'DLSVDD-KL': '#393b79',
  'IAE-KL': '#8c6d31',
  'IAE-LSTM': '#e7969c',
  'IAE-LSTM-KL': PALETTE[3]!,
  'IAE-LSTM-KL-noInputGate': '#ad494a',
  'IAE-LSTM-KL-noOutputGate': '#7b4173',
  'IAE-LSTM-KL-noGates': '#637939',
};

function seriesStyle(row: ReportRow): { color: string; dashed: boolean } {
  return { color: MODEL_COLOR[row.model], dashed: row.boundary === 'soft' };
}

export interface Figure {
  /** File name, without directory. */
  readonly name: string;
  readonly svg: string;
}

const SELECTION_SHORT = {
  oracle: 'oracle selection (best final test AUROC per class and seed)',
  default: 'default point of the study',
  median: 'median over the grid per epoch',
} as const;

/** Fig. 4: AUROC per joint epoch, one line per row, mean over classes and seeds. */
export function fig4(model: ReportModel): Figure {
  const series: Series[] = model.curves.map((c) => ({
    // A mean over fewer classes than the study has is not comparable: say so in the legend.
    name: c.classes < c.classesExpected ? `${c.row.label} (${c.classes} of ${c.classesExpected} classes)` : c.row.label,
    points: c.epochs.map((e, i) => ({ x: e, y: c.mean[i]! })),
    ...seriesStyle(c.row),
  }));
  return {
    name: `fig4-auroc-vs-epoch.${model.selection.select}.svg`,
    svg: linePlot({
      title: `AUROC per joint epoch on ${model.study.datasetTitle} (cf. Fig. 4)`,
      xLabel: 'joint training epoch',
      yLabel: `test AUROC (${model.selection.score} score), mean over classes`,
      series,
      xInteger: true,
      note: `${SELECTION_SHORT[model.selection.select]}; contamination ${fmtPercent(model.mainContamination ?? 0)}; study ${model.study.name}`,
    }),
  };
}

/** Fig. 5: average AUROC over classes vs contamination ratio; null when the study has one ratio. */
export function fig5(model: ReportModel): Figure | null {
  const t = model.tables.find((x) => x.kind === 'contamination');
  if (!t) return null;
  const series: Series[] = t.rows
    .map((r) => ({
      name: r.label,
      // Only averages over every class: a partial average would draw a false trend.
      points: r.cells.flatMap((c, j) =>
        c.mean === null || c.classesUsed! < c.classesExpected!
          ? []
          : [{ x: t.columns[j]!.contamination! * 100, y: c.mean }],
      ),
      ...seriesStyle(r.row),
    }))
    .filter((s) => s.points.length > 0);
  return {
    name: `fig5-auroc-vs-contamination.${model.selection.select}.svg`,
    svg: linePlot({
      title: `Average AUROC vs training contamination on ${model.study.datasetTitle} (cf. Fig. 5)`,
      xLabel: 'anomalies in the training set (%)',
      yLabel: `test AUROC (${model.selection.score} score), mean over classes`,
      series,
      xTicks: t.columns.map((c) => ({ value: c.contamination! * 100, label: fmtPercent(c.contamination!) })),
      note: `${SELECTION_SHORT[model.selection.select]}; averages over fewer than all classes left out; study ${model.study.name}`,
    }),
  };
}

/** A hyperparameter value as a tick label: "1e-5", "0.01", "5.112". */
export function fmtParam(v: number | null): string {
  if (v === null) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-2 || a >= 1e4)
    return v
      .toExponential()
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9.=-]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Short, unique per row: the label ("IAE-LSTM-KL(h) [kl.form=gaussian]") carries exactly the options the study sweeps. */
export function gridFigureName(g: HyperGrid): string {
  return `grid-${slug(g.row.label.replace(/\(([hs])\)/, '-$1'))}-class${g.normalClass}-cont${Math.round(g.contamination * 1000) / 10}${g.nu !== null ? `-nu${g.nu}` : ''}.svg`;
}

const AXIS_LABEL = { lambdaKl: 'λ_KL (lambdaKl)', lambdaRec: 'λ_rec (lambdaRec)', nu: 'ν (nu)' } as const;

/**
 * The heatmaps' colour scale: `data`, the grid's own range (never narrower
 * than svg.ts's minimum span), or `auroc`, fixed at [0.5, 1] so that colours
 * compare across figures.
 */
export type HeatScale = 'data' | 'auroc';
export const HEAT_SCALES: readonly HeatScale[] = ['data', 'auroc'];

/** One heatmap: lambdaKl across and lambdaRec up (a page per nu), or the tuned axes the model has. */
export function gridFigure(g: HyperGrid, opts: { heatScale?: HeatScale } = {}): Figure {
  const seeds = Math.max(0, ...g.cells.flat().map((c) => c.seedsExpected));
  return {
    name: gridFigureName(g),
    svg: heatmap({
      title: `${g.row.label}: class ${g.normalClass} (${g.className})`,
      subtitle: `final test AUROC (${g.row.score}), mean over ${seeds} seed${seeds === 1 ? '' : 's'}${g.nu !== null ? `; ν = ${fmtParam(g.nu)}` : ''}; contamination ${fmtPercent(g.contamination)}`,
      xLabel: g.x.key ? AXIS_LABEL[g.x.key] : '',
      yLabel: g.y.key ? AXIS_LABEL[g.y.key] : '',
      xTicks: g.x.values.map(fmtParam),
      yTicks: g.y.values.map((v) => (g.y.key ? fmtParam(v) : '')),
      values: g.cells.map((line) => line.map((c) => c.mean)),
      outlined: g.cells.map((line) => line.map((c) => c.oracleSeeds > 0)),
      dotted: g.cells.map((line) => line.map((c) => c.isDefault)),
      outlinedLabel: "oracle's pick (best final test AUROC) for at least one seed",
      dottedLabel: g.cells.flat().some((c) => c.isDefault) ? "the study's defaultPoint" : undefined,
      colorbarLabel: opts.heatScale === 'auroc' ? 'AUROC (fixed scale 0.5-1)' : 'AUROC',
      domain: opts.heatScale === 'auroc' ? AUROC_DOMAIN : undefined,
    }),
  };
}

/**
 * Every figure of a model. Heatmaps only for the main contamination unless
 * `allContaminations`: a contamination sweep would otherwise multiply them.
 */
export function figures(
  model: ReportModel,
  opts: { grids?: boolean; allContaminations?: boolean; heatScale?: HeatScale } = {},
): Figure[] {
  const out: Figure[] = [fig4(model)];
  const f5 = fig5(model);
  if (f5) out.push(f5);
  if (opts.grids ?? true) {
    for (const g of model.grids)
      if (opts.allContaminations || g.contamination === model.mainContamination)
        out.push(gridFigure(g, { heatScale: opts.heatScale }));
  }
  return out;
}
