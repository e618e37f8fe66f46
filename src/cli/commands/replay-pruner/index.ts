// `sweep replay-pruner <study> --pruner JSON`: what a pruner would have saved
// on a study already run to the end, and which best points it would have
// lost, without training again (src/pruners/replay.ts). For choosing the
// pruner of a long study from a small one. Opens the database read-only.
import { UserInputError } from '../../../errors/index.js';
import { expandGrid } from '../../../grid/expand.js';
import { pointIdOf } from '../../../grid/membership.js';
import { picksAfterReplay, replayPruner, type ReplayTrial } from '../../../pruners/index.js';
import { readStudyDefinition } from '../../../report/index.js';
import { className } from '../../../report/classes.js';
import { Pruner, type Study } from '../../../study/schema.js';
import { modelLabel } from '../../../study/models.js';
import type { TrialCurve } from '../../../storage/storage.js';
import { TrialState } from '../../../trial/state.js';
import { openTargetReadonly, resolveTarget } from '../../target.js';

export interface ReplayPrunerOptions {
  readonly target: string;
  readonly db?: string;
  /** Pruner settings as JSON, as a study file writes them; none: the study's own pruner. */
  readonly pruners: readonly string[];
  /** Workers of the modelled scheduler (default: the study's, else 2). */
  readonly workers?: number;
  readonly json?: boolean;
  readonly write: (line: string) => void;
}

/** A pretraining epoch in joint-epoch units, for the order trials start in (the outcome barely depends on it). */
const PRETRAIN_COST = 0.5;

export interface GroupOutcome {
  /** e.g. "IAE-LSTM-KL(h) class 0 (t-shirt)", with contamination and seed where the study sweeps them. */
  readonly label: string;
  readonly best: { readonly value: number; readonly trial: number };
  /** The best among the points the pruner lets finish (null: it stopped them all, which it never does at the last epoch). */
  readonly kept: { readonly value: number; readonly trial: number } | null;
}

export interface PrunerOutcome {
  readonly pruner: Pruner;
  readonly jointEpochs: number;
  readonly fullJointEpochs: number;
  readonly pruned: number;
  readonly groups: readonly GroupOutcome[];
  /** The largest fall of a group's best final AUROC. */
  readonly worstChange: number;
}

export interface ReplayPrunerReport {
  readonly study: string;
  readonly trials: number;
  /** COMPLETE trials not of the grid in force (added by Optuna, or of points since removed): left out. */
  readonly leftOut: number;
  readonly jointEpochs: number;
  readonly workers: number;
  readonly outcomes: readonly PrunerOutcome[];
}

/** Pure: the replay of each pruner over the study's COMPLETE curves. */
export function replayReport(
  name: string,
  study: Study,
  curves: readonly TrialCurve[],
  pruners: readonly Pruner[],
  workers: number,
): ReplayPrunerReport {
  const last = study.training.jointEpochs;
  const points = new Set(expandGrid(study.grid).map((p) => p.id));
  const ofGrid = curves.filter((t) => {
    const id = pointIdOf(t.params);
    return id !== null && points.has(id);
  });
  // Queue order is the order trials were created in: their numbers.
  const trials: ReplayTrial[] = ofGrid.map((t) => ({ number: t.number, params: t.params, curve: t.intermediate }));
  const sweeps = (axis: 'contamination' | 'seed') => new Set(trials.map((t) => t.params[axis])).size > 1;
  const label = (t: ReplayTrial) => {
    const p = t.params;
    const parts = [
      modelLabel(p.model, p.boundary),
      `class ${p.normalClass} (${className(study.dataset.name, p.normalClass)})`,
    ];
    if (sweeps('contamination')) parts.push(`contamination ${p.contamination}`);
    if (sweeps('seed')) parts.push(`seed ${p.seed}`);
    return parts.join(' ');
  };
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const outcomes = pruners.map((pruner) => {
    const r = replayPruner(trials, pruner, {
      workers,
      lastEpoch: last,
      pretrainUnits: study.training.pretrainEpochs * PRETRAIN_COST,
    });
    const groups = [...picksAfterReplay(trials, r, last).values()].map((g) => ({
      label: label(byNumber.get(g.full.trial)!),
      best: g.full,
      kept: g.pruned,
    }));
    const changes = groups.map((g) => (g.kept ? g.kept.value - g.best.value : -Infinity));
    return {
      pruner,
      jointEpochs: r.jointEpochs,
      fullJointEpochs: r.fullJointEpochs,
      pruned: r.prunedAt.size,
      groups,
      worstChange: changes.length ? Math.min(...changes) : 0,
    };
  });
  return {
    study: name,
    trials: trials.length,
    leftOut: curves.length - ofGrid.length,
    jointEpochs: last,
    workers,
    outcomes,
  };
}

const f4 = (x: number) => x.toFixed(4);

export function replayLines(r: ReplayPrunerReport): string[] {
  const lines = [
    `study ${r.study}: ${r.trials} trials run to the end, ${r.jointEpochs} joint epochs each; replayed as ${r.workers} worker(s) would meet them`,
  ];
  if (r.leftOut > 0) lines.push(`(${r.leftOut} trial(s) not of the grid in force left out)`);
  for (const o of r.outcomes) {
    const saved = o.jointEpochs > 0 ? (o.fullJointEpochs / o.jointEpochs).toFixed(2) : '-';
    lines.push(
      '',
      `pruner ${JSON.stringify(o.pruner)}:`,
      `  joint epochs ${o.jointEpochs} of ${o.fullJointEpochs} (${saved}x fewer), ${o.pruned} of ${r.trials} trials pruned; largest fall of a best AUROC ${f4(-o.worstChange)}`,
    );
    for (const g of o.groups) {
      const kept = g.kept
        ? g.kept.trial === g.best.trial
          ? 'kept'
          : `-> ${f4(g.kept.value)} (trial ${g.kept.trial}, ${f4(g.kept.value - g.best.value)})`
        : 'every point pruned';
      lines.push(`  ${g.label}: best ${f4(g.best.value)} (trial ${g.best.trial}) ${kept}`);
    }
  }
  lines.push(
    '',
    'The trials run in the order they were queued; a pruned curve is a prefix of the unpruned one (training is deterministic per point).',
  );
  return lines;
}

/** The --pruner values, each checked as a study's "pruner" is. */
export function parsePruners(values: readonly string[]): Pruner[] {
  return values.map((text) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UserInputError(
        `not JSON: ${text} (write it as a study file does, e.g. '{"kind":"successive-halving","minResource":3,"reductionFactor":4}')`,
        '--pruner',
      );
    }
    const parsed = Pruner.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
      throw new UserInputError(`${problems.join('; ')} in ${text}`, '--pruner');
    }
    return parsed.data;
  });
}

export async function runReplayPruner(o: ReplayPrunerOptions): Promise<ReplayPrunerReport> {
  const pruners = parsePruners(o.pruners);
  const target = resolveTarget(o.target, o.db);
  const { storage, study } = await openTargetReadonly(target);
  try {
    const definition = readStudyDefinition(study.systemAttrs);
    if (!definition)
      throw new UserInputError(
        'the database holds no readable study definition (was it made by sweep start?)',
        `study "${study.name}"`,
      );
    const chosen = pruners.length ? pruners : definition.pruner ? [definition.pruner] : [];
    if (chosen.length === 0)
      throw new UserInputError(
        `the study has no pruner: give one or more, e.g. --pruner '{"kind":"successive-halving","minResource":3,"reductionFactor":4}'`,
        '--pruner',
      );
    const curves = await storage.getTrialCurves(study.id, [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING]);
    const unfinished = curves.filter((t) => t.state !== TrialState.COMPLETE);
    if (unfinished.length > 0)
      throw new UserInputError(
        `${unfinished.length} trial(s) did not run to the end (pruned or running): a replay needs every curve whole; ` +
          `run the study to the end first (pruned points: sweep start <study file> --rerun-pruned)`,
        `study "${study.name}"`,
      );
    const report = replayReport(study.name, definition, curves, chosen, o.workers ?? definition.workers ?? 2);
    if (report.trials === 0)
      throw new UserInputError('no COMPLETE trial of its grid to replay', `study "${study.name}"`);
    if (o.json) o.write(JSON.stringify(report));
    else for (const line of replayLines(report)) o.write(line);
    return report;
  } finally {
    await storage.close();
  }
}
