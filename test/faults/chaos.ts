// kill -9 at seeded random moments of a real small sweep, restarting each
// time, then checks that every grid point ended COMPLETE exactly once and
// that nothing finished was lost or rewritten. Shared by the fault suite
// (20 kills) and bench/faults.ts (the long run).
import { join } from 'node:path';
import { Study } from '../../src/study/schema.js';
import { expandGrid } from '../../src/grid/expand.js';
import { TrialState } from '../../src/trial/state.js';
import { FAIL_KIND_ATTR } from '../../src/trial/retries.js';
import { mulberry32 } from '../../src/data/random.js';
import { runCli, tinyStudy, trialsOf, trialsSoFar, waitFor, writeStudy, type Run } from '../e2e/helpers.js';

/** Where a kill lands: during pretraining, joint training, right after a write, or while an export runs beside the sweep. */
export const PHASES = ['pretrain', 'joint', 'write', 'export'] as const;
export type KillPhase = (typeof PHASES)[number];

const TRIGGER: Record<Exclude<KillPhase, 'export'>, RegExp> = {
  pretrain: /\] (pretraining: |pretrain epoch)/,
  joint: /\] (joint training: |joint epoch)/,
  // A trial's final write has just committed; the next claim and progress writes follow at once.
  write: / COMPLETE value=/,
};

export interface ChaosOptions {
  readonly name: string;
  readonly kills: number;
  readonly seed: number;
  /** Kill within this many ms after the phase's trigger line (seeded uniform). */
  readonly jitterMs?: number;
  readonly log?: (line: string) => void;
  /** Called with the database path once it exists (the bench attaches a monitor). */
  readonly onDb?: (db: string) => void;
}

export interface ChaosReport {
  readonly kills: number;
  readonly byPhase: Readonly<Record<KillPhase, number>>;
  /** Kills whose sweep had finished before its trigger came (the grid ran out). */
  readonly finishedEarly: number;
  readonly points: number;
  readonly trials: number;
  /** Grid points without a COMPLETE trial at the end. */
  readonly lost: number;
  /** Grid points with more than one COMPLETE trial. */
  readonly duplicated: number;
  /** COMPLETE trials seen after a kill that later changed or vanished. */
  readonly rewritten: number;
  /** FAIL trials, each a trial running when a kill came. */
  readonly failedByKill: number;
  /** FAIL trials that are not a dead process's (should be 0). */
  readonly otherFailures: readonly string[];
  readonly exportsKilled: number;
  readonly finalExportCode: number | null;
}

const WAIT = 240_000;

/** The study: 36 points of a tiny network, each trial pretraining and training jointly for a few epochs. */
export function chaosStudy(name: string): Record<string, unknown> {
  return {
    ...tinyStudy(
      name,
      { normalClass: [0, 1, 2, 3, 4, 5, 6, 7, 8], lambdaKl: [0.01, 1], boundary: ['hard', 'soft'] },
      { pretrainEpochs: 3, jointEpochs: 3 },
    ),
    // Every trial pretrains (a phase to kill in); the decoded data is cached, so restarts are quick.
    pretrainCache: false,
  };
}

export async function chaosSweep(opts: ChaosOptions): Promise<ChaosReport> {
  // The data's seeded generator: a failing run can be replayed from its seed.
  const rng = mulberry32(opts.seed);
  const jitter = opts.jitterMs ?? 300;
  const log = opts.log ?? (() => undefined);
  const studyJson = chaosStudy(opts.name);
  const { dir, file, db } = writeStudy(studyJson);
  const points = expandGrid(Study.parse(studyJson).grid);
  const byPhase: Record<KillPhase, number> = { pretrain: 0, joint: 0, write: 0, export: 0 };
  const seenComplete = new Map<number, number | null>();
  let kills = 0;
  let finishedEarly = 0;
  let exportsKilled = 0;
  let rewritten = 0;
  const start = () => runCli(['start', file, '--db', db, '--cache-dir', join(dir, 'cache')]);

  for (let i = 0; i < opts.kills; i++) {
    const phase = PHASES[Math.floor(rng() * PHASES.length)]!;
    const delayMs = Math.floor(rng() * (phase === 'write' ? jitter / 10 : jitter));
    const sweep = start();
    let exp: Run | null = null;
    let exited = false;
    void sweep.done.then(() => (exited = true));
    if (phase === 'export') {
      await waitFor(() => exited || /running on/.test(sweep.stdout()), WAIT, 'the sweep running');
      if (!exited) {
        opts.onDb?.(db);
        exp = runCli(['export', opts.name, '--db', db, '--out', join(dir, `export-${i}`)]);
        const e = exp;
        let expExited = false;
        void e.done.then(() => (expExited = true));
        await waitFor(() => expExited || /\.md$/m.test(e.stdout()), WAIT, 'the export writing');
      }
    } else {
      await waitFor(() => exited || TRIGGER[phase].test(sweep.stdout()), WAIT, `the ${phase} phase`);
    }
    if (!exited && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    opts.onDb?.(db);
    if (exited) {
      finishedEarly++;
      log(`kill ${i + 1}: the sweep had finished before its ${phase} trigger`);
    } else {
      sweep.child.kill('SIGKILL');
      if (exp) {
        exp.child.kill('SIGKILL');
        exportsKilled++;
      }
      kills++;
      byPhase[phase]++;
    }
    await sweep.done;
    if (exp) await exp.done;
    // Nothing finished is ever lost or rewritten.
    const now = new Map(
      (await trialsSoFar(db, opts.name)).filter((t) => t.state === TrialState.COMPLETE).map((t) => [t.id, t.value]),
    );
    for (const [id, v] of seenComplete) if (now.get(id) !== v) rewritten++;
    for (const [id, v] of now) seenComplete.set(id, v);
    log(`kill ${i + 1}/${opts.kills} (${phase}, +${delayMs} ms): ${now.size}/${points.length} points complete`);
  }

  const final = start();
  const { code } = await final.done;
  if (code !== 0) throw new Error(`the final start exited ${code}: ${final.stderr()}`);
  const exp = runCli(['export', opts.name, '--db', db, '--out', join(dir, 'export-final'), '--no-figures']);
  const finalExportCode = (await exp.done).code;

  const trials = await trialsOf(db, opts.name);
  const complete = new Map<string, number>();
  for (const t of trials)
    if (t.state === TrialState.COMPLETE) complete.set(t.gridPoint, (complete.get(t.gridPoint) ?? 0) + 1);
  const byId = new Map(trials.map((t) => [t.id, t]));
  for (const [id, v] of seenComplete)
    if (byId.get(id)?.state !== TrialState.COMPLETE || byId.get(id)?.value !== v) rewritten++;
  const fails = trials.filter((t) => t.state === TrialState.FAIL);
  const otherFailures = fails
    .filter(
      (t) => t.systemAttrs[FAIL_KIND_ATTR] !== 'process' || !/died|stale heartbeat/.test(String(t.userAttrs.error)),
    )
    .map((t) => `trial ${t.number}: ${String(t.userAttrs.error)}`);
  const left = trials.filter((t) => t.state === TrialState.RUNNING || t.state === TrialState.WAITING).length;
  if (left > 0) otherFailures.push(`${left} trial(s) left RUNNING or WAITING after the final start`);
  return {
    kills,
    byPhase,
    finishedEarly,
    points: points.length,
    trials: trials.length,
    lost: points.filter((p) => !complete.has(p.id)).length,
    duplicated: [...complete.values()].filter((n) => n > 1).length,
    rewritten,
    failedByKill: fails.length - otherFailures.length,
    otherFailures,
    exportsKilled,
    finalExportCode,
  };
}

/** "20/20 kills: 0 lost, 0 duplicated ..." */
export function chaosLine(r: ChaosReport, asked: number): string {
  return (
    `${r.kills}/${asked} kills: ${r.lost} lost, ${r.duplicated} duplicated, ${r.rewritten} rewritten ` +
    `(${PHASES.map((p) => `${p} ${r.byPhase[p]}`).join(', ')}; ${r.exportsKilled} exports killed; ` +
    `${r.points} points, ${r.trials} trials, ${r.failedByKill} failed by a kill, final export exit ${r.finalExportCode})`
  );
}
