// `sweep status <study>`: counts per state, the best trial per model, boundary
// and normal class, backends used, trials left out. Opens the database
// read-only, so it is safe beside a running sweep. `--json` prints the same
// as one JSON object (for scripts and CI).
import { TRIAL_STATE_NAMES, TrialState } from '../../../trial/state.js';
import { backendLabel, errorOf, prunedAtOf } from '../../../trial/attrs.js';
import { expandGrid, expandGridAsync } from '../../../grid/expand.js';
import { ignoredLine, splitTrials } from '../../../grid/membership.js';
import { modelLabel } from '../../../study/models.js';
import { hostLines, hostsOf, readStudyDefinition, type HostActivity } from '../../../report/index.js';
import { className } from '../../../report/classes.js';
import type { FrozenTrial, JsonValue } from '../../../storage/storage.js';
import type { TrialParams } from '../../../grid/expand.js';
import { givenUpPoints, retryLimit, type GivenUpPoint } from '../../../trial/retries.js';
import { openTargetReadonly, resolveTarget } from '../../target.js';
import { describeParams } from '../start/log.js';

export interface StatusOptions {
  readonly target: string;
  readonly db?: string;
  /** One JSON object instead of lines. */
  readonly json?: boolean;
  readonly write: (line: string) => void;
  /** A stop (SIGINT ...) while the grid is expanded. */
  readonly signal?: AbortSignal;
}

/** The best COMPLETE trial of one model, boundary (and swept variant) and normal class. */
export interface BestOfClass {
  readonly label: string;
  readonly model: string;
  readonly boundary: string | null;
  readonly normalClass: number;
  readonly className: string;
  /** Kept apart per contamination when the study sweeps it. */
  readonly contamination: number;
  readonly trial: number;
  /** The trial's objective value (final AUROC of the study's objective score). */
  readonly value: number;
  readonly params: Readonly<TrialParams>;
}

export interface StatusReport {
  readonly study: string;
  readonly db: string;
  /** Trials of the grid in force, per state. */
  readonly states: Record<string, number>;
  readonly trials: number;
  /** Grid points of the definition in force, and how many have a COMPLETE trial; null when the definition is unknown. */
  readonly points: { readonly expected: number; readonly complete: number } | null;
  /** Left out of everything above: trials added from Optuna, and trials of points removed from the definition. */
  readonly ignored: { readonly foreign: number; readonly removed: number };
  readonly best: readonly BestOfClass[];
  readonly backends: readonly string[];
  /** The last five FAIL trials. */
  readonly failed: readonly {
    readonly trial: number;
    readonly params: Readonly<TrialParams>;
    readonly error: string;
  }[];
  /** The last three PRUNED trials, with the joint epoch and reason the pruner gave. */
  readonly pruned: readonly {
    readonly trial: number;
    readonly params: Readonly<TrialParams>;
    readonly epoch: number | null;
    readonly reason: string;
  }[];
  /** Points that failed more than maxRetries times: not queued again (src/trial/retries.ts). */
  readonly givenUp: { readonly maxRetries: number; readonly points: readonly GivenUpPoint[] };
  /** The hosts that ran its trials: done, running, failed, last heartbeat (src/report/hosts.ts). */
  readonly hosts: readonly HostActivity[];
}

const ORDER = [TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING, TrialState.FAIL, TrialState.PRUNED];

/** Pure: the status of a study from its trials and system attributes. */
export function statusOf(
  study: string,
  db: string,
  systemAttrs: Readonly<Record<string, JsonValue>>,
  all: readonly FrozenTrial[],
  /** The grid's point ids, when the caller expanded them already (runStatus does, without blocking). */
  points?: ReadonlySet<string>,
): StatusReport {
  const def = readStudyDefinition(systemAttrs);
  const expected = def ? (points ?? new Set(expandGrid(def.grid).map((p) => p.id))) : null;
  const { ours, foreign, removed } = splitTrials(all, expected);
  const maxRetries = retryLimit(def ?? {});
  const states: Record<string, number> = {};
  for (const k of ORDER) states[TRIAL_STATE_NAMES[k]] = 0;
  for (const t of ours) states[TRIAL_STATE_NAMES[t.state]] = (states[TRIAL_STATE_NAMES[t.state]] ?? 0) + 1;
  const done = ours.filter((t) => t.state === TrialState.COMPLETE);
  // Per model, boundary, swept variant and class: a best across classes would
  // compare numbers of different tasks, which means nothing here.
  const variants = (['lstm.mode', 'kl.form', 'minmax'] as const).filter(
    (k) => new Set(done.map((t) => t.params[k])).size > 1,
  );
  // Contamination changes the task too: kept apart when the study sweeps it.
  const perContamination = new Set(done.map((t) => t.params.contamination)).size > 1;
  const best = new Map<string, FrozenTrial>();
  for (const t of done) {
    if (t.value === null || !Number.isFinite(t.value)) continue;
    const key = `${labelOf(t.params, variants)}#${t.params.normalClass}#${perContamination ? t.params.contamination : ''}`;
    const b = best.get(key);
    if (!b || t.value > b.value! || (t.value === b.value && t.number > b.number)) best.set(key, t);
  }
  const bestList: BestOfClass[] = [...best.values()]
    .map((t) => ({
      label: labelOf(t.params, variants),
      model: t.params.model,
      boundary: t.params.boundary ?? null,
      normalClass: t.params.normalClass,
      className: className(def?.dataset.name ?? null, t.params.normalClass),
      contamination: t.params.contamination,
      trial: t.number,
      value: t.value!,
      params: t.params,
    }))
    .sort(
      (a, b) => a.label.localeCompare(b.label) || a.normalClass - b.normalClass || a.contamination - b.contamination,
    );
  const completePoints = new Set(done.map((t) => t.gridPoint));
  return {
    study,
    db,
    states,
    trials: ours.length,
    points: expected
      ? { expected: expected.size, complete: [...completePoints].filter((id) => expected.has(id)).length }
      : null,
    ignored: { foreign: foreign.length, removed: removed.length },
    best: bestList,
    backends: [...new Set(done.map((t) => backendLabel(t.userAttrs) ?? 'unknown'))],
    failed: ours
      .filter((t) => t.state === TrialState.FAIL)
      .slice(-5)
      .map((t) => ({ trial: t.number, params: t.params, error: errorOf(t.userAttrs) ?? '' })),
    pruned: ours
      .filter((t) => t.state === TrialState.PRUNED)
      .slice(-3)
      .map((t) => {
        const at = prunedAtOf(t.userAttrs);
        return { trial: t.number, params: t.params, epoch: at?.epoch ?? null, reason: at?.reason ?? '' };
      }),
    givenUp: { maxRetries, points: givenUpPoints(ours, maxRetries) },
    hosts: hostsOf(ours),
  };
}

function labelOf(p: TrialParams, variants: readonly ('lstm.mode' | 'kl.form' | 'minmax')[]): string {
  const suffix = variants.filter((k) => p[k] !== undefined).map((k) => `${k}=${p[k]}`);
  const base = modelLabel(p.model, p.boundary);
  return suffix.length ? `${base} [${suffix.join(', ')}]` : base;
}

export function statusLines(r: StatusReport): string[] {
  const lines = [`study ${r.study} (${r.db})`];
  lines.push(
    `trials: ${r.trials} ` +
      Object.entries(r.states)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
  );
  if (r.points) lines.push(`grid points: ${r.points.complete} of ${r.points.expected} finished`);
  const ignored = ignoredLine(r.ignored.foreign, r.ignored.removed);
  if (ignored) lines.push(`ignored: ${ignored}`);
  lines.push(...hostLines(r.hosts));
  if (r.best.length > 0) {
    lines.push('best per model and normal class (objective AUROC):');
    for (const b of r.best)
      lines.push(
        `  ${b.label}  class ${b.normalClass} (${b.className}): ${b.value.toFixed(4)}  trial ${b.trial}  ${describeParams(b.params)}`,
      );
    lines.push(`backends: ${r.backends.join(', ')}`);
  }
  for (const p of r.pruned)
    lines.push(`pruned: trial ${p.trial} ${describeParams(p.params)} after joint epoch ${p.epoch ?? '?'}: ${p.reason}`);
  for (const f of r.failed) lines.push(`failed: trial ${f.trial} ${describeParams(f.params)}: ${f.error}`);
  const { maxRetries, points } = r.givenUp;
  if (points.length > 0)
    lines.push(
      `not queued again: ${points.length} grid point(s) failed ${maxRetries + 1} time(s) (maxRetries ${maxRetries})`,
    );
  for (const g of points)
    lines.push(
      `  gave up: ${describeParams(g.params)}: ${g.failures} failures, last trial ${g.lastTrial}: ${g.lastError.split('\n')[0]}`,
    );
  return lines;
}

export async function runStatus(opts: StatusOptions): Promise<void> {
  const target = resolveTarget(opts.target, opts.db);
  const { storage, study } = await openTargetReadonly(target);
  let report: StatusReport;
  try {
    // A big grid (10^5 points) takes seconds to expand: a chunk at a time, so a signal is still heard.
    const def = readStudyDefinition(study.systemAttrs);
    const points = def ? new Set((await expandGridAsync(def.grid, opts.signal)).map((p) => p.id)) : undefined;
    report = statusOf(study.name, storage.location, study.systemAttrs, await storage.getTrials(study.id), points);
  } finally {
    await storage.close();
  }
  if (opts.json) opts.write(JSON.stringify(report));
  else for (const l of statusLines(report)) opts.write(l);
}
