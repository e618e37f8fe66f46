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
import { type Grid, type Study, type DatasetName, type ModelName, type Score } from '../study/schema.js';
import { DATASETS } from '../study/datasets.js';
import { gateOrder, modelLabel, modelsOfTable, MODEL_TRAITS, rowOrder } from '../study/models.js';
import { expandGrid, type TrialParams } from '../grid/expand.js';
import { splitTrials } from '../grid/membership.js';
import { TrialState, TRIAL_STATE_NAMES } from '../trial/state.js';
import { ATTR, backendLabel, objectiveOf, readStoredDefinition, readStoredGrid, STUDY_ATTR, trialObjective } from '../trial/attrs.js';
import { givenUpPoints, retryLimit } from '../trial/retries.js';
import type { FrozenTrial, JsonValue } from '../storage/storage.js';
import { UserInputError } from '../errors/index.js';
import { className, classNames, datasetTitle } from './classes.js';
import { paperTablesFor, paperValue, type PaperLookup, type PaperTable } from './paper-values.js';
import { mean, median, round3, sampleStd } from './stats.js';
import type {
  BestTrial,
  Cell,
  Curve,
  GridCell,
  HyperGrid,
  Progress,
  ReportMeta,
  ReportModel,
  ReportOptions,
  ReportRow,
  ReportStudyInput,
  ReportTable,
  RowVariant,
  SeedResult,
  Selection,
  StateName,
  TableColumn,
  TableProvenance,
  TunedPoint,
} from './types.js';

export interface ReportInput {
  readonly study: ReportStudyInput;
  readonly trials: readonly FrozenTrial[];
  readonly meta?: ReportMeta;
}

// Which models are rows of which table, and in what order, are traits of
// the one model table (src/study/models.ts).
const MAIN_MODELS: ReadonlySet<ModelName> = new Set(modelsOfTable('main'));
const ABLATION_MODELS: ReadonlySet<ModelName> = new Set(modelsOfTable('ablation'));

const VARIANT_KEYS = ['lstm.mode', 'kl.form', 'minmax'] as const;
const TUNED_KEYS = ['lambdaKl', 'lambdaRec', 'nu'] as const;
type TunedKey = (typeof TUNED_KEYS)[number];

// ---------------------------------------------------------------- internals

interface Point {
  readonly id: string;
  readonly params: TrialParams;
  /** The latest COMPLETE trial of the point (a point normally has at most one). */
  complete: FrozenTrial | null;
  failed: number;
  /** PRUNED trials of the point: stopped early by the pruner, so the point is done without a final value. */
  pruned: number;
  trials: number;
  // Filled once the rows are known:
  row?: ReportRow;
  final?: number | null;
  history?: readonly { epoch: number; value: number }[] | null;
}

interface Group {
  readonly key: string;
  readonly row: ReportRow;
  readonly normalClass: number;
  readonly contamination: number;
  readonly seed: number;
  readonly points: Point[];
}

interface Chosen {
  readonly result: SeedResult | null;
  /** Every point the selection needs has a final value. */
  readonly complete: boolean;
  /** Points the selection needed and did not have. */
  readonly missing: number;
  /** oracle/default: the chosen point (for curves and grids). */
  readonly point: Point | null;
}

type MutableCell = { -readonly [K in keyof Cell]: Cell[K] };

function isRecord(v: unknown): v is Record<string, JsonValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
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

function variantOf(params: TrialParams): RowVariant {
  const v: Record<string, string> = {};
  for (const k of VARIANT_KEYS) if (params[k] !== undefined) v[k] = params[k]!;
  return v as RowVariant;
}

function rowIdOf(params: TrialParams): string {
  const v = variantOf(params) as Record<string, string>;
  return [params.model, params.boundary ?? '-', ...Object.keys(v).sort().map((k) => `${k}=${v[k]}`)].join('|');
}

function tunedOf(params: TrialParams): TunedPoint {
  const t: { -readonly [K in keyof TunedPoint]: TunedPoint[K] } = {};
  for (const k of TUNED_KEYS) if (params[k] !== undefined) t[k] = params[k];
  return t;
}

/** Orders points by lambdaKl, then lambdaRec, then nu (absent first): the oracle's tie-break. */
function compareTuned(a: TrialParams, b: TrialParams): number {
  for (const k of TUNED_KEYS) {
    const x = a[k] ?? -Infinity;
    const y = b[k] ?? -Infinity;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sameNumber(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

/** Final AUROC of a score: user attr `auroc`, else the trial value when the score is the trial's objective. */
export function finalAuroc(t: FrozenTrial, score: Score, objective: Score): number | null {
  const a = t.userAttrs[ATTR.auroc];
  if (isRecord(a) && finite(a[score])) return a[score] as number;
  if (trialObjective(t, objective) === score && finite(t.value)) return t.value;
  return null;
}

/** AUROC per joint epoch of a score: user attr `auroc_history`, else the intermediate values. */
export function aurocHistory(t: FrozenTrial, score: Score, objective: Score): { epoch: number; value: number }[] | null {
  const h = t.userAttrs[ATTR.aurocHistory];
  if (isRecord(h) && Array.isArray(h[score])) {
    const arr = h[score] as JsonValue[];
    // With training.evalEvery > 1 the scored epochs are listed in `auroc_epochs`.
    const at = t.userAttrs[ATTR.aurocEpochs];
    const epochs = Array.isArray(at) && at.length === arr.length && at.every(finite) ? (at as number[]) : null;
    if (arr.every(finite)) return (arr as number[]).map((value, i) => ({ epoch: epochs ? epochs[i]! : i + 1, value }));
  }
  if (trialObjective(t, objective) === score && t.intermediate.size > 0) {
    return [...t.intermediate.entries()]
      .filter(([, v]) => finite(v))
      .sort(([a], [b]) => a - b)
      .map(([epoch, value]) => ({ epoch, value }));
  }
  return null;
}

function stateName(s: TrialState): StateName {
  return TRIAL_STATE_NAMES[s] as StateName;
}

function contaminationLabel(c: number): string {
  return `${Math.round(c * 1000) / 10}%`;
}

function emptyCell(seedsExpected = 0): MutableCell {
  return { mean: null, std: null, n: 0, seedsExpected, complete: false, best: false, seeds: [] };
}

// ---------------------------------------------------------------- selection

function defaultMatcher(study: Study | null, studyName: string) {
  const dp = study?.defaultPoint;
  /** Whether a point of the group is the default point. Throws when the default point is ambiguous for the group. */
  return (group: Group): Point | null => {
    if (!dp) {
      throw new UserInputError(
        'the "default" selection needs a defaultPoint in the study file (e.g. "defaultPoint": { "lambdaKl": 0.001, "lambdaRec": 1, "nu": 0.1 })',
        `study ${studyName}`,
      );
    }
    for (const k of TUNED_KEYS) {
      const values = new Set(group.points.map((p) => p.params[k]).filter((v) => v !== undefined));
      if (dp[k] === undefined && values.size > 1) {
        throw new UserInputError(
          `defaultPoint does not set ${k}, and ${group.row.label} has ${values.size} values of it (${[...values].join(', ')}); add "${k}" to defaultPoint`,
          `study ${studyName}`,
        );
      }
    }
    const match = group.points.find((p) =>
      TUNED_KEYS.every((k) => p.params[k] === undefined || dp[k] === undefined || sameNumber(p.params[k]!, dp[k]!)),
    );
    if (!match) {
      const vals = TUNED_KEYS.filter((k) => dp[k] !== undefined && group.points.some((p) => p.params[k] !== undefined))
        .map((k) => `${k}=${dp[k]} (grid: ${[...new Set(group.points.map((p) => p.params[k]))].join(', ')})`)
        .join('; ');
      throw new UserInputError(`defaultPoint is not a point of the grid of ${group.row.label}: ${vals}`, `study ${studyName}`);
    }
    return match;
  };
}

/** Stopped by the pruner and not run to the end since: done, but no candidate. */
function isPruned(p: Point): boolean {
  return p.complete === null && p.pruned > 0;
}

function choose(group: Group, select: Selection, defaultOf: (g: Group) => Point | null): Chosen {
  const done = group.points.filter((p) => p.final !== null && p.final !== undefined);
  const base = { pointsUsed: done.length, pointsExpected: group.points.length, seed: group.seed };
  const trialNumbers = done.map((p) => p.complete!.number).sort((a, b) => a - b);
  if (select === 'default') {
    const p = defaultOf(group)!;
    const ok = p.final !== null && p.final !== undefined;
    // A pruned default point has no value and never will (unless run again with --rerun-pruned).
    return {
      result: ok
        ? { ...base, value: p.final!, trialNumbers: [p.complete!.number], point: tunedOf(p.params), ties: 0, pointsUsed: 1, pointsExpected: 1 }
        : null,
      complete: ok || isPruned(p),
      missing: ok || isPruned(p) ? 0 : 1,
      point: ok ? p : null,
    };
  }
  const missing = group.points.length - done.length - group.points.filter(isPruned).length;
  if (done.length === 0) return { result: null, complete: false, missing, point: null };
  if (select === 'median') {
    const value = median(done.map((p) => p.final!))!;
    return { result: { ...base, value, trialNumbers, point: null, ties: 0 }, complete: missing === 0, missing, point: null };
  }
  // oracle: best final test AUROC; ties go to the smallest (lambdaKl, lambdaRec, nu).
  const sorted = [...done].sort((a, b) => compareTuned(a.params, b.params));
  const best = Math.max(...sorted.map((p) => p.final!));
  const winner = sorted.find((p) => p.final === best)!;
  const ties = sorted.filter((p) => p.final === best).length - 1;
  return {
    result: { ...base, value: best, trialNumbers, point: tunedOf(winner.params), ties },
    complete: missing === 0,
    missing,
    point: winner,
  };
}

// ---------------------------------------------------------------- cells

function classCell(chosen: readonly Chosen[]): MutableCell {
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
function averageCell(classCells: readonly MutableCell[]): MutableCell {
  const used = classCells.filter((c) => c.mean !== null);
  const bySeed = used.map((c) => new Map(c.seeds.map((s) => [s.seed, s.value])));
  const common = used.length === 0 ? [] : used[0]!.seeds.map((s) => s.seed).filter((s) => bySeed.every((m) => m.has(s)));
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
function flagBest(rows: readonly { cells: MutableCell[] }[]): void {
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

// ---------------------------------------------------------------- stages

/** What every stage reads. Built once by buildReport, then only read. */
interface Ctx {
  readonly def: Study | null;
  readonly dataset: DatasetName | null;
  readonly select: Selection;
  readonly compare: boolean;
  readonly points: ReadonlyMap<string, Point>;
  /** Ids of the points of the study's grid (empty without a definition). */
  readonly expected: ReadonlySet<string>;
  /** In table order. */
  readonly rows: readonly ReportRow[];
  readonly groups: ReadonlyMap<string, Group>;
  /** Groups of one (row, class, contamination), one per seed. */
  readonly cellGroups: ReadonlyMap<string, readonly Group[]>;
  readonly chosen: ReadonlyMap<string, Chosen>;
  /** The oracle's choice whatever the selection: the grids mark it. */
  readonly oracle: ReadonlyMap<string, Chosen>;
  readonly classes: readonly number[];
  readonly contaminations: readonly number[];
  readonly mainContamination: number | null;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** Every point of the grid, plus any point a trial has that the grid lacks; trial counts per state. */
function collectPoints(grid: Grid | null, trials: readonly FrozenTrial[]) {
  const points = new Map<string, Point>();
  const expected = new Set<string>();
  if (grid) {
    for (const gp of expandGrid(grid)) {
      points.set(gp.id, { id: gp.id, params: gp.params, complete: null, failed: 0, pruned: 0, trials: 0 });
      expected.add(gp.id);
    }
  }
  // Trials Optuna added (no valid grid point) and trials of points removed
  // from the definition are left out and counted (grid/membership.ts).
  const { ours, foreign, removed } = splitTrials(trials, grid ? expected : null);
  const states: Record<StateName, number> = { WAITING: 0, RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0 };
  let severalComplete = 0;
  for (const t of [...ours].sort((a, b) => a.number - b.number)) {
    states[stateName(t.state)]++;
    const id = t.gridPoint;
    let p = points.get(id);
    if (!p) {
      p = { id, params: t.params, complete: null, failed: 0, pruned: 0, trials: 0 };
      points.set(id, p);
    }
    p.trials++;
    // Several COMPLETE trials of one point (two processes raced, or a manual
    // copy): the newest, by trial number, is used, and the count is reported.
    if (t.state === TrialState.COMPLETE) {
      if (p.complete) severalComplete++;
      p.complete = t;
    } else if (t.state === TrialState.FAIL) p.failed++;
    else if (t.state === TrialState.PRUNED) p.pruned++;
  }
  return { points, expected, states, trials: ours.length, ignored: { foreign: foreign.length, removed: removed.length }, severalComplete };
}

/**
 * Gives each point its row, final AUROC and history (of the row's score);
 * returns the rows in table order. A variant option enters the label only
 * when the study sweeps it.
 */
function assignRows(points: ReadonlyMap<string, Point>, score: Score, objective: Score, warnings: string[]): ReportRow[] {
  const optionValues = new Map<string, Set<string>>();
  for (const p of points.values())
    for (const k of VARIANT_KEYS) if (p.params[k] !== undefined) (optionValues.get(k) ?? optionValues.set(k, new Set()).get(k)!).add(p.params[k]!);
  const varying = VARIANT_KEYS.filter((k) => (optionValues.get(k)?.size ?? 0) > 1);
  const rows = new Map<string, ReportRow>();
  let withoutScore = 0;
  for (const p of points.values()) {
    const id = rowIdOf(p.params);
    let row = rows.get(id);
    if (!row) {
      const variant = variantOf(p.params);
      const paperLabel = modelLabel(p.params.model, p.params.boundary);
      const suffix = varying.filter((k) => variant[k] !== undefined).map((k) => `${k}=${variant[k]}`);
      row = {
        id,
        model: p.params.model,
        boundary: p.params.boundary ?? null,
        variant,
        label: suffix.length ? `${paperLabel} [${suffix.join(', ')}]` : paperLabel,
        paperLabel,
        score: objectiveOf(p.params.model, score),
      };
      rows.set(id, row);
    }
    p.row = row;
    p.final = p.complete ? finalAuroc(p.complete, row.score, objective) : null;
    p.history = p.complete ? aurocHistory(p.complete, row.score, objective) : null;
    if (p.complete && p.final === null) withoutScore++;
  }
  if (withoutScore > 0) warnings.push(`${withoutScore} finished trial(s) have no final AUROC for their row's score; they count as missing`);
  return [...rows.values()].sort(
    (a, b) =>
      rowOrder(a.model) - rowOrder(b.model) ||
      (a.boundary ?? 'z').localeCompare(b.boundary ?? 'z') ||
      a.id.localeCompare(b.id),
  );
}

/** Groups the points by (row, class, contamination, seed) and makes the selection's choice in each. */
function groupAndChoose(points: ReadonlyMap<string, Point>, select: Selection, defaultOf: (g: Group) => Point | null) {
  const groups = new Map<string, Group>();
  for (const p of points.values()) {
    const key = `${p.row!.id}#${p.params.normalClass}#${p.params.contamination}#${p.params.seed}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, row: p.row!, normalClass: p.params.normalClass, contamination: p.params.contamination, seed: p.params.seed, points: [] };
      groups.set(key, g);
    }
    g.points.push(p);
  }
  const chosen = new Map<string, Chosen>();
  const oracle = new Map<string, Chosen>();
  const cellGroups = new Map<string, Group[]>();
  for (const g of groups.values()) {
    chosen.set(g.key, choose(g, select, defaultOf));
    oracle.set(g.key, select === 'oracle' ? chosen.get(g.key)! : choose(g, 'oracle', defaultOf));
    push(cellGroups, `${g.row.id}#${g.normalClass}#${g.contamination}`, g);
  }
  return { groups, chosen, oracle, cellGroups };
}

function cellOf(ctx: Ctx, rowId: string, normalClass: number, contamination: number): MutableCell {
  const gs = ctx.cellGroups.get(`${rowId}#${normalClass}#${contamination}`);
  return gs ? classCell(gs.map((g) => ctx.chosen.get(g.key)!)) : emptyCell();
}

function rowHas(ctx: Ctx, row: ReportRow, contamination: number): boolean {
  return ctx.classes.some((c) => ctx.cellGroups.has(`${row.id}#${c}#${contamination}`));
}

function provenanceOf(ctx: Ctx, rowList: readonly ReportRow[], conts: readonly number[]): TableProvenance {
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

/** Fills paper values and differences, and returns the notes a reader needs about them. */
function addPaper(
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
      const found = col.kind === 'avg' ? paperAvg(r.paperKey) : paperValue(ctx.dataset, kind, r.paperKey, col.normalClass!);
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
      ? [`Paper Avg. here is the paper's mean over the ${ctx.classes.length} classes this study has (${which}), not its published ${allClasses}-class average.`]
      : []),
    ...(noSubsetValues > 0
      ? [`No paper Avg. for ${noSubsetValues} row(s): the paper publishes only a ${allClasses}-class average there, and this study has ${ctx.classes.length} class(es) (${which}).`]
      : []),
  ];
  if (covered === 0 && noSubsetValues === 0) return [`The paper publishes no ${kind} values for ${datasetTitle(ctx.dataset)}.`];
  return [...paperTablesFor(ctx.dataset, kind).flatMap((t) => (t.note ? [`Paper Table ${t.id}: ${t.note}`] : [])), ...avgNotes];
}

/** Tables I-VI: rows = models, columns = classes and Avg., at the main contamination. */
function classTable(ctx: Ctx, kind: 'main' | 'ablation', models: ReadonlySet<ModelName>): ReportTable | null {
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
    ...ctx.classes.map((c): TableColumn => ({ key: `class:${c}`, label: className(ctx.dataset, c), kind: 'class', normalClass: c })),
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
function gateTable(ctx: Ctx): ReportTable | null {
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
  const columns: TableColumn[] = [{ key: 'avg', label: ctx.classes.length > 1 ? 'AUROC (avg. over classes)' : 'AUROC', kind: 'avg' }];
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
function contaminationTable(ctx: Ctx): ReportTable | null {
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
    columns: ctx.contaminations.map((c) => ({ key: `contamination:${c}`, label: contaminationLabel(c), kind: 'contamination', contamination: c })),
    rows: built,
    provenance: provenanceOf(ctx, ctx.rows, ctx.contaminations),
  };
}

/** Hyperparameter grids: final AUROC per point over seeds, no selection; the oracle's picks and the default point marked. */
function buildGrids(ctx: Ctx): HyperGrid[] {
  const dp = ctx.def?.defaultPoint;
  const isDefault = (p: Point): boolean =>
    !!dp && TUNED_KEYS.every((k) => p.params[k] === undefined || (dp[k] !== undefined && sameNumber(p.params[k]!, dp[k]!)));
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
        for (const p of pts) push(byCell, cellKey(xKey && p.params[xKey], yKey && p.params[yKey], pageKey && p.params[pageKey]), p);
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
                trialNumbers: here.filter((p) => p.complete).map((p) => p.complete!.number).sort((a, b) => a - b),
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

/** Fig. 4: per epoch, mean over classes and seeds of the selected points' histories. */
function buildCurves(ctx: Ctx): Curve[] {
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
          for (const p of g.points) if (p.final !== null && p.final !== undefined) for (const h of p.history ?? []) push(byEpoch, h.epoch, h.value);
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

// ---------------------------------------------------------------- the model

export function buildReport(input: ReportInput, opts: ReportOptions): ReportModel {
  const warnings: string[] = [];
  const { study, trials } = input;
  const def = readDefinition(study.systemAttrs, warnings);
  const grid = readStoredGrid(def, study.systemAttrs);
  if (!grid) warnings.push('the study has no definition or search space: expected grid points are only those with trials');
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

  const tables = [classTable(ctx, 'main', MAIN_MODELS), classTable(ctx, 'ablation', ABLATION_MODELS), gateTable(ctx), contaminationTable(ctx)]
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
    study: { name: study.name, dataset, datasetTitle: datasetTitle(dataset), objective, description: def?.description ?? null },
    selection: { select: opts.select, score, caption: selectionCaption(opts.select, score, rows, def), compare: ctx.compare ? 'paper' : null },
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
      epochs: { pretrain: def?.training.pretrainEpochs ?? null, joint: def?.training.jointEpochs ?? null, observedJoint },
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

/** What pruning did to a table's numbers, under the table (only when it pruned some of its points). */
function withPruningNote(t: ReportTable, select: Selection): ReportTable {
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

function fmtPoint(p: TunedPoint): string {
  return TUNED_KEYS.filter((k) => p[k] !== undefined)
    .map((k) => `${k}=${p[k]}`)
    .join(', ');
}

/** The caption sentence: selection, score, seeds. Renderers print it above every table. */
export function selectionCaption(select: Selection, score: Score, rows: readonly ReportRow[], def: Study | null): string {
  const how =
    select === 'oracle'
      ? 'Selection: oracle. For each class and seed, the grid point (lambdaKl, lambdaRec, nu) with the best final test AUROC, as in the paper; it looks at test labels, so it is an optimistic upper bound.'
      : select === 'default'
        ? `Selection: default point (${def?.defaultPoint ? fmtPoint(def.defaultPoint) : 'none'}) from the study file; no test labels used.`
        : 'Selection: median over the grid points of the final test AUROC; no test labels used.';
  const others = [...new Set(rows.filter((r) => r.score !== score).map((r) => `${r.paperLabel.replace(/\([hs]\)$/, '')}: ${r.score}`))];
  const scoreText = `Score: AUROC of the ${score} score after the last joint epoch${others.length ? ` (models without it use their own: ${others.join(', ')})` : ''}.`;
  return `${how} ${scoreText} With several seeds: selected per seed, then mean ± sample std over seeds.`;
}
