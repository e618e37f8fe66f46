// buildReport: stored trials -> the report model (types.ts). Pure: no IO, no
// clock; the same trials give the same model, so the live UI and the exports
// agree, and golden files are stable.
//
// How a cell is made (one row = model, boundary, variant options):
//   1. group the study's grid points by (row, class, contamination, seed); the
//      points of a group differ only in the tuned axes lambdaKl, lambdaRec, nu;
//   2. choose one value per group (oracle / default / median, types.ts);
//   3. a class cell is the mean and sample std over the seeds' values;
//   4. an average cell (Avg., contamination table, gate table) is the mean of
//      the class means; its std is over seeds of the per-seed class average.
// Grid points come from the study definition (expandGrid), so a point with no
// finished trial is counted as missing rather than silently left out.
//
// The stages live in ./build: points.ts (points, rows, groups), selection.ts,
// cells.ts, tables.ts, grids.ts, curves.ts. This file is their one public
// entry: buildReport and the readers callers use.
import type { Study, DatasetName, Score } from '../study/schema.js';
import { backendLabel, readStoredDefinition, readStoredGrid, STUDY_ATTR } from '../trial/attrs.js';
import { givenUpPoints, retryLimit } from '../trial/retries.js';
import type { FrozenTrial, JsonValue } from '../storage/storage.js';
import { className, datasetTitle } from './classes.js';
import { assignRows, collectPoints, tunedOf, type Ctx, type Point } from './build/points.js';
import { defaultMatcher, groupAndChoose, isPruned, selectionCaption } from './build/selection.js';
import {
  ABLATION_MODELS,
  classTable,
  contaminationTable,
  gateTable,
  MAIN_MODELS,
  withPruningNote,
} from './build/tables.js';
import { buildGrids } from './build/grids.js';
import { buildCurves } from './build/curves.js';
import type {
  BestTrial,
  Progress,
  ReportMeta,
  ReportModel,
  ReportOptions,
  ReportRow,
  ReportStudyInput,
  ReportTable,
  StateName,
} from './types.js';

export { aurocHistory, finalAuroc } from './build/points.js';
export { selectionCaption } from './build/selection.js';

export interface ReportInput {
  readonly study: ReportStudyInput;
  readonly trials: readonly FrozenTrial[];
  readonly meta?: ReportMeta;
}

/** The study file a study was created from (system attribute `definition`), or null when absent or invalid. */
export function readStudyDefinition(attrs: Readonly<Record<string, JsonValue>>): Study | null {
  return readStoredDefinition(attrs).study;
}

function readDefinition(attrs: Readonly<Record<string, JsonValue>>, warnings: string[]): Study | null {
  const { study, problem } = readStoredDefinition(attrs);
  if (problem) warnings.push(`${problem}; expected grid points are taken from the trials`);
  return study;
}

function buildProgress(ctx: Ctx, states: Record<StateName, number>, trials: number): Progress {
  const all = [...ctx.points.values()];
  return {
    states,
    trials,
    pointsExpected: ctx.expected.size > 0 ? ctx.expected.size : ctx.points.size,
    pointsComplete: all.filter((p) => p.complete && (ctx.expected.size === 0 || ctx.expected.has(p.id))).length,
    pointsPruned: all.filter((p) => isPruned(p) && (ctx.expected.size === 0 || ctx.expected.has(p.id))).length,
    pointsNotEnqueued: [...ctx.expected].filter((id) => ctx.points.get(id)!.trials === 0).length,
    byRow: ctx.rows.map((row) => {
      const pts = all.filter((p) => p.row === row);
      return { rowId: row.id, label: row.label, complete: pts.filter((p) => p.complete).length, expected: pts.length };
    }),
  };
}

/** The best finished trial of each row so far, best first. */
function buildBest(ctx: Ctx): BestTrial[] {
  const top = new Map<ReportRow, Point>();
  for (const p of ctx.points.values()) {
    if (p.final === null || p.final === undefined) continue;
    const t = top.get(p.row!);
    if (!t || p.final > t.final!) top.set(p.row!, p);
  }
  return ctx.rows
    .filter((row) => top.has(row))
    .map((row) => {
      const p = top.get(row)!;
      return {
        rowId: row.id,
        label: row.label,
        trialNumber: p.complete!.number,
        value: p.final!,
        score: row.score,
        normalClass: p.params.normalClass,
        className: className(ctx.dataset, p.params.normalClass),
        contamination: p.params.contamination,
        seed: p.params.seed,
        point: tunedOf(p.params),
      };
    })
    .sort((a, b) => b.value - a.value || a.trialNumber - b.trialNumber);
}

export function buildReport(input: ReportInput, opts: ReportOptions): ReportModel {
  const warnings: string[] = [];
  const { study, trials } = input;
  const def = readDefinition(study.systemAttrs, warnings);
  const grid = readStoredGrid(def, study.systemAttrs);
  if (!grid)
    warnings.push('the study has no definition or search space: expected grid points are only those with trials');
  const maxRetries = retryLimit(def ?? {});
  const givenUp = givenUpPoints(trials, maxRetries);
  if (givenUp.length > 0)
    warnings.push(
      `${givenUp.length} grid point(s) failed ${maxRetries + 1} time(s) and are not queued again (maxRetries ${maxRetries}); ` +
        givenUp.map((g) => `trial ${g.lastTrial}: ${g.lastError.split('\n')[0]}`).join('; '),
    );
  const dataset: DatasetName | null = def?.dataset.name ?? null;
  const objective: Score = def?.objective ?? 'svdd';
  const score: Score = opts.score ?? objective;

  const { points, expected, states, trials: ourTrials, ignored, severalComplete } = collectPoints(grid, trials);
  const rows = assignRows(points, score, objective, warnings);
  const { groups, chosen, oracle, cellGroups } = groupAndChoose(points, opts.select, defaultMatcher(def, study.name));
  const all = [...points.values()];
  const classes = [...new Set(all.map((p) => p.params.normalClass))].sort((a, b) => a - b);
  const contaminations = [...new Set(all.map((p) => p.params.contamination))].sort((a, b) => a - b);
  const ctx: Ctx = {
    def,
    dataset,
    select: opts.select,
    compare: opts.compare === 'paper',
    points,
    expected,
    rows,
    groups,
    cellGroups,
    chosen,
    oracle,
    classes,
    contaminations,
    mainContamination: contaminations.includes(0) ? 0 : (contaminations[0] ?? null),
  };

  const tables = [
    classTable(ctx, 'main', MAIN_MODELS),
    classTable(ctx, 'ablation', ABLATION_MODELS),
    gateTable(ctx),
    contaminationTable(ctx),
  ]
    .filter((t): t is ReportTable => t !== null)
    .map((t) => withPruningNote(t, opts.select));

  const backends = new Set<string>();
  let observedJoint: number | null = null;
  for (const p of all) {
    if (!p.complete) continue;
    const b = backendLabel(p.complete.userAttrs);
    if (b !== null) backends.add(b);
    const h = p.history;
    if (h && h.length) observedJoint = Math.max(observedJoint ?? 0, h[h.length - 1]!.epoch);
  }
  const definitionHash = study.systemAttrs[STUDY_ATTR.definitionHash];
  const history = study.systemAttrs[STUDY_ATTR.definitionHistory];

  return {
    study: {
      name: study.name,
      dataset,
      datasetTitle: datasetTitle(dataset),
      objective,
      description: def?.description ?? null,
    },
    selection: {
      select: opts.select,
      score,
      caption: selectionCaption(opts.select, score, rows, def),
      compare: ctx.compare ? 'paper' : null,
    },
    mainContamination: ctx.mainContamination,
    tables,
    grids: buildGrids(ctx),
    curves: buildCurves(ctx),
    progress: buildProgress(ctx, states, ourTrials),
    best: buildBest(ctx),
    provenance: {
      study: study.name,
      definitionHash: typeof definitionHash === 'string' ? definitionHash : null,
      backends: [...backends].sort(),
      epochs: {
        pretrain: def?.training.pretrainEpochs ?? null,
        joint: def?.training.jointEpochs ?? null,
        observedJoint,
      },
      version: input.meta?.version ?? null,
      commit: input.meta?.commit ?? null,
      generatedAt: input.meta?.generatedAt ?? null,
      ignored,
      severalComplete,
      definitions: Math.max(1, Array.isArray(history) ? history.length : 1),
    },
    warnings,
  };
}
