// The grid points of a report and what is shared by every stage: each point
// with its latest COMPLETE trial, its row (model, boundary, variant options),
// its final AUROC and history of the row's score, and the groups of points
// the selection chooses among (docs: src/report/README.md).
import type { Grid, Study, DatasetName, Score } from '../../study/schema.js';
import { modelLabel, rowOrder } from '../../study/models.js';
import { expandGrid, type TrialParams } from '../../grid/expand.js';
import { splitTrials } from '../../grid/membership.js';
import { TrialState, TRIAL_STATE_NAMES } from '../../trial/state.js';
import { ATTR, objectiveOf, trialObjective } from '../../trial/attrs.js';
import type { FrozenTrial, JsonValue } from '../../storage/storage.js';
import type { ReportRow, RowVariant, SeedResult, Selection, StateName, TunedPoint } from '../types.js';

export const VARIANT_KEYS = ['lstm.mode', 'kl.form', 'minmax'] as const;

export const TUNED_KEYS = ['lambdaKl', 'lambdaRec', 'nu'] as const;

export type TunedKey = (typeof TUNED_KEYS)[number];

export interface Point {
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

export interface Group {
  readonly key: string;
  readonly row: ReportRow;
  readonly normalClass: number;
  readonly contamination: number;
  readonly seed: number;
  readonly points: Point[];
}

export interface Chosen {
  readonly result: SeedResult | null;
  /** Every point the selection needs has a final value. */
  readonly complete: boolean;
  /** Points the selection needed and did not have. */
  readonly missing: number;
  /** oracle/default: the chosen point (for curves and grids). */
  readonly point: Point | null;
}

/** What every stage reads. Built once by buildReport, then only read. */
export interface Ctx {
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

export function isRecord(v: unknown): v is Record<string, JsonValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function variantOf(params: TrialParams): RowVariant {
  const v: Record<string, string> = {};
  for (const k of VARIANT_KEYS) if (params[k] !== undefined) v[k] = params[k]!;
  return v as RowVariant;
}

export function rowIdOf(params: TrialParams): string {
  const v = variantOf(params) as Record<string, string>;
  return [
    params.model,
    params.boundary ?? '-',
    ...Object.keys(v)
      .sort()
      .map((k) => `${k}=${v[k]}`),
  ].join('|');
}

export function tunedOf(params: TrialParams): TunedPoint {
  const t: { -readonly [K in keyof TunedPoint]: TunedPoint[K] } = {};
  for (const k of TUNED_KEYS) if (params[k] !== undefined) t[k] = params[k];
  return t;
}

/** Orders points by lambdaKl, then lambdaRec, then nu (absent first): the oracle's tie-break. */
export function compareTuned(a: TrialParams, b: TrialParams): number {
  for (const k of TUNED_KEYS) {
    const x = a[k] ?? -Infinity;
    const y = b[k] ?? -Infinity;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function sameNumber(a: number, b: number): boolean {
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
export function aurocHistory(
  t: FrozenTrial,
  score: Score,
  objective: Score,
): { epoch: number; value: number }[] | null {
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

export function stateName(s: TrialState): StateName {
  return TRIAL_STATE_NAMES[s] as StateName;
}

export function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** Every point of the grid, plus any point a trial has that the grid lacks; trial counts per state. */
export function collectPoints(grid: Grid | null, trials: readonly FrozenTrial[]) {
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
  return {
    points,
    expected,
    states,
    trials: ours.length,
    ignored: { foreign: foreign.length, removed: removed.length },
    severalComplete,
  };
}

/**
 * Gives each point its row, final AUROC and history (of the row's score);
 * returns the rows in table order. A variant option enters the label only
 * when the study sweeps it.
 */
export function assignRows(
  points: ReadonlyMap<string, Point>,
  score: Score,
  objective: Score,
  warnings: string[],
): ReportRow[] {
  const optionValues = new Map<string, Set<string>>();
  for (const p of points.values())
    for (const k of VARIANT_KEYS)
      if (p.params[k] !== undefined) (optionValues.get(k) ?? optionValues.set(k, new Set()).get(k)!).add(p.params[k]!);
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
  if (withoutScore > 0)
    warnings.push(`${withoutScore} finished trial(s) have no final AUROC for their row's score; they count as missing`);
  return [...rows.values()].sort(
    (a, b) =>
      rowOrder(a.model) - rowOrder(b.model) ||
      (a.boundary ?? 'z').localeCompare(b.boundary ?? 'z') ||
      a.id.localeCompare(b.id),
  );
}
