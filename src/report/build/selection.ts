// Step 2 of a cell (model.ts): the points grouped by (row, class,
// contamination, seed) and the one value chosen per group: the oracle's best
// point, the study's default point, or the median; and the caption sentence
// that says which.
import type { Score, Study } from '../../study/schema.js';
import { UserInputError } from '../../errors/index.js';
import { median } from '../stats.js';
import { compareTuned, push, sameNumber, tunedOf, TUNED_KEYS, type Chosen, type Group, type Point } from './points.js';
import type { ReportRow, Selection, TunedPoint } from '../types.js';

export function defaultMatcher(study: Study | null, studyName: string) {
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
      throw new UserInputError(
        `defaultPoint is not a point of the grid of ${group.row.label}: ${vals}`,
        `study ${studyName}`,
      );
    }
    return match;
  };
}

/** Stopped by the pruner and not run to the end since: done, but no candidate. */
export function isPruned(p: Point): boolean {
  return p.complete === null && p.pruned > 0;
}

export function choose(group: Group, select: Selection, defaultOf: (g: Group) => Point | null): Chosen {
  const done = group.points.filter((p) => p.final !== null && p.final !== undefined);
  const base = { pointsUsed: done.length, pointsExpected: group.points.length, seed: group.seed };
  const trialNumbers = done.map((p) => p.complete!.number).sort((a, b) => a - b);
  if (select === 'default') {
    const p = defaultOf(group)!;
    const ok = p.final !== null && p.final !== undefined;
    // A pruned default point has no value and never will (unless run again with --rerun-pruned).
    return {
      result: ok
        ? {
            ...base,
            value: p.final!,
            trialNumbers: [p.complete!.number],
            point: tunedOf(p.params),
            ties: 0,
            pointsUsed: 1,
            pointsExpected: 1,
          }
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
    return {
      result: { ...base, value, trialNumbers, point: null, ties: 0 },
      complete: missing === 0,
      missing,
      point: null,
    };
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

export function fmtPoint(p: TunedPoint): string {
  return TUNED_KEYS.filter((k) => p[k] !== undefined)
    .map((k) => `${k}=${p[k]}`)
    .join(', ');
}

/** The caption sentence: selection, score, seeds. Renderers print it above every table. */
export function selectionCaption(
  select: Selection,
  score: Score,
  rows: readonly ReportRow[],
  def: Study | null,
): string {
  const how =
    select === 'oracle'
      ? 'Selection: oracle. For each class and seed, the grid point (lambdaKl, lambdaRec, nu) with the best final test AUROC, as in the paper; it looks at test labels, so it is an optimistic upper bound.'
      : select === 'default'
        ? `Selection: default point (${def?.defaultPoint ? fmtPoint(def.defaultPoint) : 'none'}) from the study file; no test labels used.`
        : 'Selection: median over the grid points of the final test AUROC; no test labels used.';
  const others = [
    ...new Set(
      rows.filter((r) => r.score !== score).map((r) => `${r.paperLabel.replace(/\([hs]\)$/, '')}: ${r.score}`),
    ),
  ];
  const scoreText = `Score: AUROC of the ${score} score after the last joint epoch${others.length ? ` (models without it use their own: ${others.join(', ')})` : ''}.`;
  return `${how} ${scoreText} With several seeds: selected per seed, then mean ± sample std over seeds.`;
}

/** Groups the points by (row, class, contamination, seed) and makes the selection's choice in each. */
export function groupAndChoose(
  points: ReadonlyMap<string, Point>,
  select: Selection,
  defaultOf: (g: Group) => Point | null,
) {
  const groups = new Map<string, Group>();
  for (const p of points.values()) {
    const key = `${p.row!.id}#${p.params.normalClass}#${p.params.contamination}#${p.params.seed}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        row: p.row!,
        normalClass: p.params.normalClass,
        contamination: p.params.contamination,
        seed: p.params.seed,
        points: [],
      };
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
