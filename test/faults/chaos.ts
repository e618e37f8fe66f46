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
import { runCli, tinyStudy, trialsOf, trialsSoFar, writeStudy, type Run } from '../e2e/helpers.js';

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
  /**
   * Kill once the sweep printed up to this many more lines after the phase's
   * trigger (seeded uniform; the write phase always kills at its trigger).
   * Counted in lines, not ms: where a kill lands follows from the seed and the
   * sweep's own events, not from how busy the machine is.
   */
  readonly jitterLines?: number;
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

/** Deadline guard of every wait: fails the run instead of hanging it. */
const WAIT = 240_000;

const ended = (r: Run) => r.child.exitCode !== null || r.child.signalCode !== null;

/**
 * Resolves once `ok()` holds: checked at once, after each chunk a process
 * prints and when one closes. No polling interval: the kill follows the line
 * that triggers it as closely as the pipe allows.
 */
function whenSeen(runs: readonly Run[], ok: () => boolean, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!ok()) return;
      stop();
      resolve();
    };
    const deadline = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${WAIT} ms waiting for ${what}`));
    }, WAIT);
    const stop = () => {
      clearTimeout(deadline);
      for (const r of runs) {
        r.child.stdout?.off('data', check);
        r.child.off('close', check);
      }
    };
    for (const r of runs) {
      r.child.stdout?.on('data', check);
      r.child.on('close', check);
    }
    check();
  });
}

/** Lines `text` holds after `offset`. */
const linesAfter = (text: string, offset: number) => text.slice(offset).split('\n').length - 1;

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
  const jitter = opts.jitterLines ?? 3;
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
    const draw = rng(); // drawn for every phase, so a seed picks the same phases as before
    const more = phase === 'write' ? 0 : Math.floor(draw * jitter);
    const sweep = start();
    let exp: Run | null = null;
    // Where the sweep's output stood when the trigger came: the kill waits `more` lines past it.
    let mark = 0;
    if (phase === 'export') {
      await whenSeen([sweep], () => ended(sweep) || /running on/.test(sweep.stdout()), 'the sweep running');
      if (!ended(sweep)) {
        opts.onDb?.(db);
        exp = runCli(['export', opts.name, '--db', db, '--out', join(dir, `export-${i}`)]);
        const e = exp;
        await whenSeen([sweep, e], () => ended(sweep) || ended(e) || /\.md$/m.test(e.stdout()), 'the export writing');
      }
      mark = sweep.stdout().length;
    } else {
      const trigger = TRIGGER[phase];
      await whenSeen([sweep], () => ended(sweep) || trigger.test(sweep.stdout()), `the ${phase} phase`);
      const m = trigger.exec(sweep.stdout());
      mark = m ? sweep.stdout().indexOf('\n', m.index) + 1 || sweep.stdout().length : sweep.stdout().length;
    }
    if (more > 0)
      await whenSeen(
        [sweep],
        () => ended(sweep) || linesAfter(sweep.stdout(), mark) >= more,
        `${more} line(s) after the ${phase} trigger`,
      );
    const exited = ended(sweep);
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
    log(`kill ${i + 1}/${opts.kills} (${phase}, +${more} lines): ${now.size}/${points.length} points complete`);
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
