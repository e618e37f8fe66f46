// The scheduler: claims WAITING trials, dispatches them to a runner, records
// their progress and outcome, keeps their heartbeats, recovers trials of dead
// processes, and shuts down cleanly on abort. It is generic over the trial
// function (the runner decides what a trial does), so it is benchmarked with a
// trivial one. Only this main-thread code writes the database.
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { FrozenTrial, JsonValue, Storage } from '../storage/storage.js';
import type { ParamValue } from '../grid/expand.js';
import type { TrialRunner } from '../pool/runner.js';
import type { Progress, TrialResult, TrialTask } from '../pool/messages.js';
import type { Score } from '../study/schema.js';
import { TrialFinishedError, TrialState, TrialStateError } from '../trial/state.js';
import { FAIL_KIND_ATTR, type FailKind } from '../trial/retries.js';
import { ATTR, backendAttrs, completeAttrs, failedAttrs, objectiveOf, prunedAttrs } from '../trial/attrs.js';
import type { TrialPruner } from '../pruners/index.js';
import { recoverDeadTrials } from './recovery.js';
import { PretrainShare, type Admission } from './pretrain-share.js';

export interface ActiveTrial {
  readonly trial: FrozenTrial;
  /** Slot index 0..concurrency-1: which worker runs it. */
  readonly slot: number;
  readonly startedAt: number;
}

export interface TrialOutcome {
  readonly state: 'COMPLETE' | 'PRUNED' | 'FAIL' | 'INTERRUPTED';
  readonly value?: number;
  readonly error?: string;
  /** PRUNED: why, and after which joint epoch. */
  readonly pruned?: PrunedAt;
  readonly seconds: number;
}

/** What the scheduler reports as it goes: the terminal UI and the plain log both listen. */
export interface SweepEvents {
  trialStarted?(t: ActiveTrial): void;
  progress?(t: ActiveTrial, p: Progress): void;
  /** Awaited: a listener that reads the database (counts for its line) finishes before the sweep moves on. */
  trialFinished?(t: ActiveTrial, outcome: TrialOutcome): void | Promise<void>;
  note?(message: string): void;
}

export interface SchedulerOptions {
  readonly storage: Storage;
  readonly studyId: number;
  readonly runner: TrialRunner;
  readonly makeTask: (trial: FrozenTrial) => TrialTask;
  readonly objective: Score;
  /** Param distributions, needed to queue again the points of trials found dead. */
  readonly distributions: Record<string, readonly ParamValue[]>;
  readonly signal: AbortSignal;
  readonly events?: SweepEvents;
  readonly heartbeatMs?: number;
  /**
   * A RUNNING trial whose heartbeat is older than this is taken as dead. Our
   * own trials are heartbeated only while their worker sends signs of life:
   * one silent this long is hung, and is stopped and failed here.
   */
  readonly staleSeconds?: number;
  /** A trial running longer than this is stopped (its worker replaced) and FAILs; absent: no limit. */
  readonly trialTimeoutSeconds?: number;
  /** Points that failed more than this many times are not queued again by dead-trial recovery; absent: no limit. */
  readonly maxRetries?: number;
  /** Trials claimed and handed to the runner at once; defaults to its concurrency. */
  readonly maxInFlight?: number;
  /** Identity written with every claim: "host:pid". */
  readonly owner?: string;
  /** More system attributes written to every trial this sweep claims (host, pid, GPU: src/scheduler/host.ts). */
  readonly claimAttrs?: Record<string, JsonValue>;
  /** Time for the watch of other processes' trials and the stale checks; default the system clock and timers. */
  readonly clock?: SchedulerClock;
  /**
   * Trials with the same key share a costly first step (autoencoder
   * pretraining, cached on disk by the first trial that does it): the
   * pretraining key (trialPretrainKey). While one trial of a key is building
   * it, others of that key are held back (claimed, heartbeated, not started)
   * and the free workers run something else.
   */
  readonly shareKey?: (trial: FrozenTrial) => string | null;
  /**
   * Share pretrainings with the other hosts of the study through
   * storage.artifacts (docs/architecture.md, "Pretraining sharing"): one
   * host builds each (a lease), the others take it from the database into
   * their local cache. Needs shareKey, and tasks with a cacheDir.
   */
  readonly sharePretraining?: boolean;
  /** A pretraining lease not renewed (with the heartbeat) for this long is free: its holder died. Default staleSeconds. */
  readonly leaseSeconds?: number;
  /** Asked after every joint epoch that stored a value; a trial it stops ends PRUNED, not queued again. */
  readonly pruner?: TrialPruner;
  /**
   * Which WAITING trials this sweep may claim (besides carrying a grid point,
   * which the storage requires): the points of the definition in force. A
   * trial it refuses stays WAITING, untouched, and is never waited for.
   */
  readonly accept?: (trial: FrozenTrial) => boolean;
}

/**
 * What the scheduler's idle watch reads the time with and waits on (tests
 * inject one that advances at each sleep: no real waiting, no wall clock).
 */
export interface SchedulerClock {
  /** Milliseconds, only ever compared with each other. */
  now(): number;
  /** Resolves after `ms`, or as soon as the signal aborts; never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const systemClock: SchedulerClock = { now: () => Date.now(), sleep: (ms, signal) => sleep(ms, signal) };

/**
 * How often a sweep with nothing to run looks at the trials other processes
 * run: a quarter of --stale-after (so a trial whose host died is queued again
 * and run here at most that long after its heartbeat went stale), at most
 * 15 s (the exit, once they are done, is not kept waiting long), and not more
 * often than pollMs (tests with tiny stale times).
 */
export function watchIntervalMs(staleSeconds: number, pollMs: number): number {
  return Math.max(pollMs, Math.min(15_000, (staleSeconds * 1000) / 4));
}

/** Stored with a pruned trial (user attribute `pruned_at`). */
export interface PrunedAt {
  readonly epoch: number;
  readonly reason: string;
}

export interface SweepSummary {
  readonly completed: number;
  readonly failed: number;
  readonly pruned: number;
  /** Trials given back to WAITING because of an abort. */
  readonly requeued: number;
  /** Trials of dead processes found and queued again. */
  readonly recovered: number;
  readonly interrupted: boolean;
}

/** Silence allowed before a worker's first sign of life on a trial: a (re)started thread loads TensorFlow.js first. */
const WORKER_START_GRACE_S = 120;

const isAbort = (err: unknown) => (err as Error | undefined)?.name === 'AbortError';

export async function runSweep(opts: SchedulerOptions): Promise<SweepSummary> {
  const { storage, studyId, runner, signal, events = {} } = opts;
  const owner = opts.owner ?? `${hostname()}:${process.pid}`;
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  const staleSeconds = opts.staleSeconds ?? 60;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? runner.concurrency);
  const clock = opts.clock ?? systemClock;

  let completed = 0;
  let failed = 0;
  let pruned = 0;
  let requeued = 0;
  const limits = { maxRetries: opts.maxRetries };
  const recover = () =>
    recoverDeadTrials({ storage, studyId, owner, staleSeconds, distributions: opts.distributions, limits });
  const first = await recover();
  let recovered = first.died + first.stale;
  if (recovered > 0) events.note?.(`queued again ${recovered} trial(s) left RUNNING by a process that died`);

  const active = new Map<
    number,
    {
      info: ActiveTrial;
      done: Promise<void>;
      abort: AbortController;
      stop: (reason: string) => void;
      alive: () => { at: number; started: boolean };
    }
  >();
  const freeSlots = Array.from({ length: maxInFlight }, (_, i) => maxInFlight - 1 - i);
  const sharing = new ShareTracker(opts.shareKey);
  const note = (m: string) => events.note?.(m);
  const share = opts.sharePretraining ? pretrainShare(opts, owner, staleSeconds, note) : null;
  const accept = share ? (t: FrozenTrial) => (opts.accept ? opts.accept(t) : true) && share.accept(t) : opts.accept;
  // How often the trials of another host's pretraining are looked at again, when some wait.
  const pollMs = Math.min(heartbeatMs, 1000);
  const watchMs = watchIntervalMs(staleSeconds, pollMs);
  let lastRecheck = clock.now();
  const held: FrozenTrial[] = [];
  // Held trials show as RUNNING; keep them few, but enough to look past one key's run of points.
  const maxHeld = maxInFlight * 8;
  let wake: () => void = () => {};
  // A write that fails in a timer or a progress message (a full disk) must not
  // crash the process: it stops the sweep like an abort, and runSweep throws it.
  let fatal: { error: unknown } | null = null;
  const guarded = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      if (fatal) return;
      fatal = { error };
      onAbort();
      wake();
    }
  };

  // A trial's heartbeat says its worker is alive, not just this thread: a
  // worker silent for staleSeconds (stuck in a loop) is stopped and failed,
  // before its heartbeat could look stale to anyone else.
  // One round of heartbeats at a time: a slow database skips a tick rather than piling them up.
  let beating: Promise<void> | null = null;
  const heartbeat = setInterval(() => {
    if (beating) return;
    beating = guarded(async () => {
      const now = Date.now();
      for (const [id, a] of active) {
        const { at, started } = a.alive();
        const silent = now - at;
        // A worker thread that is (re)starting loads its modules and backend first: that is not a hang.
        const limit = started ? staleSeconds : Math.max(staleSeconds, WORKER_START_GRACE_S);
        if (silent > limit * 1000)
          a.stop(
            `worker hung: no sign of life from its thread for ${Math.round(silent / 1000)} s (limit --stale-after ${limit} s); the worker was stopped and replaced`,
          );
        else await storage.heartbeat(id);
      }
      for (const t of [...held]) await storage.heartbeat(t.id);
      share?.renew();
    }).finally(() => (beating = null));
  }, heartbeatMs);
  heartbeat.unref();

  const start = (trial: FrozenTrial) => {
    sharing.started(trial);
    const info: ActiveTrial = { trial, slot: freeSlots.pop()!, startedAt: Date.now() };
    const abort = new AbortController();
    // Why the scheduler itself stopped the trial (timeout, hung worker): it then FAILs instead of going back to WAITING.
    let stopReason: string | null = null;
    const stop = (reason: string) => {
      if (abort.signal.aborted) return;
      stopReason = reason;
      abort.abort();
    };
    // trialTimeout counts from the worker's first sign of life on this trial (a replaced worker's start-up is not the trial's).
    const limit = opts.trialTimeoutSeconds;
    let timeout: NodeJS.Timeout | undefined;
    const alive = { at: Date.now(), started: false };
    const onAlive = () => {
      alive.at = Date.now();
      if (alive.started) return;
      alive.started = true;
      if (limit !== undefined)
        timeout = setTimeout(
          () => stop(`timed out: ran longer than trialTimeout ${limit} s; the worker was stopped and replaced`),
          limit * 1000,
        );
    };
    const recorder = new ProgressRecorder(storage, trial, objectiveOf(trial.params.model, opts.objective));
    // Another process may have failed this trial meanwhile (its heartbeat looked
    // stale, e.g. while this process was suspended): it is frozen now, so what
    // this run still reports is dropped, not an error that stops the sweep.
    let takenOver = false;
    const unlessTakenOver = async (fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (e) {
        if (!(e instanceof TrialFinishedError || e instanceof TrialStateError)) throw e;
        if (!takenOver)
          events.note?.(
            `trial ${trial.number} was finished by another process meanwhile (${e.message}); this run's outcome is dropped`,
          );
        takenOver = true;
      }
    };
    // Set when the pruner says stop: the trial then ends PRUNED, also if it is
    // interrupted before it could return (not "queue again").
    let prunedAt: PrunedAt | null = null;
    // A trial's progress is written in the order it came, one message at a
    // time (the pruner reads what the previous write stored), and its outcome
    // after all of it: `progressDone` is the tail of that chain.
    let progressDone: Promise<void> = Promise.resolve();
    const onProgress = (p: Progress) =>
      guarded(async () => {
        await unlessTakenOver(() => recorder.record(p));
        if (p.type === 'phase' && p.phase === 'joint') {
          share?.built(trial);
          if (sharing.built(trial, true)) wake();
        }
        events.progress?.(info, p);
      });
    // The trial asks after each scored joint epoch, once that epoch's progress
    // is sent; its record is then in the chain, so the pruner reads it (Optuna:
    // report, then should_prune). The trial waits for this answer.
    const pruner = opts.pruner;
    const shouldStop = pruner
      ? (epoch: number): Promise<boolean> =>
          (progressDone = progressDone.then(async () => {
            if (prunedAt || abort.signal.aborted || takenOver) return;
            // A pruner that cannot read the database must not take the trial down with it: it runs on.
            try {
              const d = await pruner.check(trial, epoch);
              if (d.prune) prunedAt = { epoch, reason: d.reason };
            } catch (err) {
              events.note?.(`pruner: trial ${trial.number} epoch ${epoch}: ${errorLine(err)}`);
            }
          })).then(() => prunedAt?.epoch === epoch)
      : undefined;
    events.trialStarted?.(info);
    const done = runner
      .run(
        opts.makeTask(trial),
        (p) => {
          progressDone = progressDone.then(() => onProgress(p));
        },
        abort.signal,
        onAlive,
        shouldStop,
      )
      .then(
        async (result) => {
          await progressDone;
          await unlessTakenOver(async () => {
            const seconds = (Date.now() - info.startedAt) / 1000;
            if (result.stoppedAt !== undefined) {
              // It stopped on our verdict: PRUNED, with what its worker measured.
              const at = prunedAt ?? { epoch: result.stoppedAt, reason: 'stopped by the pruner' };
              const value = await recorder.prune(at, seconds, result.attrs);
              pruned++;
              await events.trialFinished?.(info, { state: 'PRUNED', value: value ?? undefined, pruned: at, seconds });
              return;
            }
            await recorder.complete(result, seconds);
            completed++;
            await events.trialFinished?.(info, { state: 'COMPLETE', value: result.value, seconds });
          });
        },
        async (err: unknown) => {
          await progressDone;
          await unlessTakenOver(async () => {
            const seconds = (Date.now() - info.startedAt) / 1000;
            if (prunedAt) {
              const value = await recorder.prune(prunedAt, seconds);
              pruned++;
              await events.trialFinished?.(info, {
                state: 'PRUNED',
                value: value ?? undefined,
                pruned: prunedAt,
                seconds,
              });
            } else if (stopReason !== null) {
              await recorder.fail(stopReason, seconds);
              failed++;
              await events.trialFinished?.(info, { state: 'FAIL', error: stopReason, seconds });
            } else if (isAbort(err) || abort.signal.aborted) {
              await storage.requeueTrial(trial.id);
              requeued++;
              await events.trialFinished?.(info, { state: 'INTERRUPTED', seconds });
            } else {
              const error = errorLine(err);
              await recorder.fail(error, seconds);
              failed++;
              await events.trialFinished?.(info, { state: 'FAIL', error, seconds });
            }
          });
        },
      )
      .finally(() => {
        clearTimeout(timeout);
        share?.built(trial);
        sharing.built(trial, false);
        active.delete(trial.id);
        freeSlots.push(info.slot);
      });
    active.set(trial.id, { info, done, abort, stop, alive: () => alive });
  };

  const onAbort = () => {
    for (const a of active.values()) a.abort.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });

  /**
   * With pretraining shared: a claimed trial whose pretraining another host
   * is building goes back to WAITING (claims then skip it); otherwise it
   * starts, as a cache hit when the pretraining was shared already.
   */
  const admit = async (trial: FrozenTrial): Promise<boolean> => {
    if (!share) return true;
    let verdict: Admission;
    try {
      verdict = await share.admit(trial);
    } catch (err) {
      await storage.requeueTrial(trial.id);
      throw err;
    }
    if (verdict === 'run' && !signal.aborted) return true;
    await storage.requeueTrial(trial.id);
    if (signal.aborted) requeued++;
    return false;
  };

  let lastStaleCheck = clock.now();
  // Whether the last idle turn found other processes' trials running (says so once per spell).
  let watching = false;
  try {
    for (;;) {
      // Held trials first (they were claimed earlier), then new claims.
      if (fatal) break;
      if (share?.waiting && clock.now() - lastRecheck >= pollMs) {
        lastRecheck = clock.now();
        if ((await share.recheck()) > 0)
          note('another host finished (or stopped) building a pretraining: its trials run again');
      }
      for (let i = 0; i < held.length && !signal.aborted && active.size < maxInFlight;) {
        if (sharing.blocked(held[i]!)) i++;
        else {
          const t = held.splice(i, 1)[0]!;
          if (await admit(t)) start(t);
        }
      }
      while (!signal.aborted && active.size < maxInFlight && held.length < maxHeld) {
        const trial = await storage.claimTrial(studyId, owner, accept);
        if (!trial) break;
        if (opts.claimAttrs) await storage.setSystemAttrs(trial.id, opts.claimAttrs);
        if (sharing.blocked(trial)) held.push(trial);
        else if (await admit(trial)) start(trial);
      }
      if (active.size > 0) {
        watching = false;
        const woken = new Promise<void>((r) => (wake = r));
        // Trials held for another host's pretraining are looked at again every pollMs.
        await raceWithTimer([...[...active.values()].map((a) => a.done), woken], share?.waiting ? pollMs : null);
      } else {
        // Nothing of ours runs and nothing waits. Trials still RUNNING belong to
        // other processes (other hosts, another start): keep watching them until
        // they finish, or go stale (their host died): then the stale check below
        // queues their points again and the next turn claims and runs them here.
        // Leave when nothing waits and nothing runs anywhere. Only trials of our
        // grid: a trial Optuna left RUNNING is not waited for. Trials left for
        // another host's pretraining wait for it, or for its lease to expire.
        if (signal.aborted) break;
        if (share?.waiting) await clock.sleep(pollMs, signal);
        else {
          const others = (await storage.countTrials(studyId, 'grid'))[TrialState.RUNNING];
          if (others === 0) break;
          if (!watching)
            note(
              `nothing waits; watching ${others} trial(s) other processes run (every ${watchMs / 1000} s): ` +
                `one without heartbeat for ${staleSeconds} s is queued again and run here`,
            );
          watching = true;
          await clock.sleep(watchMs, signal);
        }
      }
      // A signal while watching stops the sweep at once (no more reads).
      if (signal.aborted || fatal) break;
      // Busy: every half --stale-after. Idle: at every look at the others, so that a dead host's trial is taken over soon.
      if (clock.now() - lastStaleCheck >= (active.size > 0 ? (staleSeconds * 1000) / 2 : watchMs)) {
        lastStaleCheck = clock.now();
        const { died, stale } = await recover();
        if (died > 0) events.note?.(`queued again ${died} trial(s) left RUNNING by a process that died`);
        if (stale > 0) events.note?.(`queued again ${stale} trial(s) whose process stopped sending heartbeats`);
        recovered += died + stale;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    onAbort();
    await Promise.allSettled([...active.values()].map((a) => a.done));
    clearInterval(heartbeat);
    // A round of heartbeats under way ends before the caller may close the storage.
    await (beating as Promise<void> | null);
    for (const t of held.splice(0)) {
      await storage.requeueTrial(t.id);
      requeued++;
    }
    await share?.close();
  }
  if (fatal) throw (fatal as { error: unknown }).error;
  return { completed, failed, pruned, requeued, recovered, interrupted: signal.aborted };
}

function pretrainShare(
  opts: SchedulerOptions,
  owner: string,
  staleSeconds: number,
  note: (m: string) => void,
): PretrainShare {
  const { storage, shareKey } = opts;
  // Programming errors of the caller (start), not user input.
  if (!storage.artifacts) throw new Error('sharePretraining: this storage offers no artifact store');
  if (!shareKey) throw new Error('sharePretraining needs shareKey (the pretraining key of a trial)');
  return new PretrainShare({
    artifacts: storage.artifacts,
    owner,
    leaseSeconds: opts.leaseSeconds ?? staleSeconds,
    keyOf: shareKey,
    cacheDirOf: (t) => opts.makeTask(t).cacheDir,
    note,
  });
}

/** Which share keys are being built now, by which trial, and which are built. */
class ShareTracker {
  private readonly building = new Map<string, number>();
  private readonly done = new Set<string>();
  constructor(private readonly keyOf?: (t: FrozenTrial) => string | null) {}

  private key(t: FrozenTrial): string | null {
    return this.keyOf ? this.keyOf(t) : null;
  }
  blocked(t: FrozenTrial): boolean {
    const k = this.key(t);
    return k !== null && this.building.has(k) && this.building.get(k) !== t.id;
  }
  started(t: FrozenTrial): void {
    const k = this.key(t);
    if (k !== null && !this.done.has(k) && !this.building.has(k)) this.building.set(k, t.id);
  }
  /** The builder reached its next step (ok) or ended; returns whether a key was released. */
  built(t: FrozenTrial, ok: boolean): boolean {
    const k = this.key(t);
    if (k === null || this.building.get(k) !== t.id) return false;
    this.building.delete(k);
    if (ok) this.done.add(k);
    return true;
  }
}

/** Writes a trial's progress as it arrives: per-epoch values and histories. */
class ProgressRecorder {
  private readonly aurocHistory: Record<string, number[]> = {};
  /** Joint epochs with an AUROC, and how many joint epochs so far (they differ with training.evalEvery). */
  private readonly aurocEpochs: number[] = [];
  private jointEpochs = 0;
  private readonly lossHistory: Record<string, JsonValue>[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly trial: FrozenTrial,
    private readonly score: Score,
  ) {}

  async record(p: Progress): Promise<void> {
    const id = this.trial.id;
    if (p.type === 'backend') {
      await this.storage.setUserAttrs(id, backendAttrs(p.backend, p.notes, p.kernels));
      return;
    }
    if (p.type !== 'epoch') return;
    this.lossHistory.push({ phase: p.phase, epoch: p.epoch, ...finiteOrNull(p.losses) });
    const attrs: Record<string, JsonValue> = { [ATTR.lossHistory]: this.lossHistory };
    if (p.phase === 'joint') this.jointEpochs++;
    if (p.auroc) {
      for (const [score, v] of Object.entries(p.auroc)) (this.aurocHistory[score] ??= []).push(v as number);
      attrs[ATTR.aurocHistory] = this.aurocHistory;
      this.aurocEpochs.push(p.epoch);
      // Only when some epoch was not scored: then history entry i is of epoch auroc_epochs[i], not i + 1.
      if (this.aurocEpochs.length !== this.jointEpochs) attrs[ATTR.aurocEpochs] = this.aurocEpochs;
    }
    const objective = p.auroc?.[this.score];
    await this.storage.atomically(async (tx) => {
      if (objective !== undefined) await tx.setIntermediateValue(id, p.epoch, objective);
      await tx.setUserAttrs(id, attrs);
    });
  }

  async complete(result: TrialResult, seconds: number): Promise<void> {
    await this.storage.atomically(async (tx) => {
      await tx.setUserAttrs(this.trial.id, completeAttrs(result, this.score, seconds));
      await tx.finishTrial(this.trial.id, TrialState.COMPLETE, result.value);
    });
  }

  /** Optuna's pruned trial: state PRUNED, value = the last intermediate value; the curve stays. */
  prune(at: PrunedAt, seconds: number, facts?: TrialResult['attrs']): Promise<number | null> {
    const id = this.trial.id;
    return this.storage.atomically(async (tx) => {
      const last = (await tx.getTrial(id)).intermediate.get(at.epoch);
      const value = last !== undefined && Number.isFinite(last) ? last : null;
      await tx.setUserAttrs(id, prunedAttrs(at, this.score, seconds, facts));
      await tx.finishTrial(id, TrialState.PRUNED, value);
      return value;
    });
  }

  async fail(error: string, seconds: number): Promise<void> {
    await this.storage.atomically(async (tx) => {
      await tx.setUserAttrs(this.trial.id, failedAttrs(error, seconds));
      await tx.setSystemAttrs(this.trial.id, { [FAIL_KIND_ATTR]: 'trial' satisfies FailKind });
      await tx.finishTrial(this.trial.id, TrialState.FAIL, null);
    });
  }
}

function errorLine(err: unknown): string {
  const e = err as Error | undefined;
  const msg = e?.message ?? String(err);
  return msg.length > 2000 ? `${msg.slice(0, 2000)}...` : msg;
}

export function finiteOrNull(o: Readonly<Record<string, number>>): Record<string, number | null> {
  // JSON has no NaN: keep the key, say null.
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

/** The first of `promises` to settle, or `ms` passing (null: no timer); the timer is cleared either way. */
async function raceWithTimer(promises: Promise<unknown>[], ms: number | null): Promise<void> {
  if (ms === null) {
    await Promise.race(promises);
    return;
  }
  const ac = new AbortController();
  try {
    await Promise.race([...promises, sleep(ms, ac.signal)]);
  } finally {
    ac.abort();
  }
}

/** Waits ms, or less when the signal aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
