// The scheduler: claims WAITING trials, dispatches them to a runner, records
// their progress and outcome, keeps their heartbeats, recovers trials of dead
// processes, and shuts down cleanly on abort. It is generic over the trial
// function (the runner decides what a trial does), so it is benchmarked with a
// trivial one. Only this main-thread code writes the database.
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { FrozenTrial, JsonValue, Storage } from '../storage/storage.js';
import type { GridPoint, ParamValue } from '../grid/expand.js';
import type { TrialRunner } from '../pool/runner.js';
import type { Progress, TrialResult, TrialTask } from '../pool/messages.js';
import type { Score } from '../study/schema.js';
import { objectiveScore } from '../study/models.js';
import { TrialState } from '../trial/state.js';
import type { TrialPruner } from '../pruners/index.js';

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
  trialFinished?(t: ActiveTrial, outcome: TrialOutcome): void;
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
  /** A RUNNING trial whose heartbeat is older than this is taken as dead. */
  readonly staleSeconds?: number;
  /** Trials claimed and handed to the runner at once; defaults to its concurrency. */
  readonly maxInFlight?: number;
  /** Identity written with every claim: "host:pid". */
  readonly owner?: string;
  /**
   * Trials with the same key share a costly first step (autoencoder
   * pretraining, cached on disk by the first trial that does it). While one
   * trial of a key is building it, others of that key are held back (claimed,
   * heartbeated, not started) and the free workers run something else.
   */
  readonly shareKey?: (trial: FrozenTrial) => string | null;
  /** Asked after every joint epoch that stored a value; a trial it stops ends PRUNED, not queued again. */
  readonly pruner?: TrialPruner;
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

const isAbort = (err: unknown) => (err as Error | undefined)?.name === 'AbortError';

export async function runSweep(opts: SchedulerOptions): Promise<SweepSummary> {
  const { storage, studyId, runner, signal, events = {} } = opts;
  const owner = opts.owner ?? `${hostname()}:${process.pid}`;
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  const staleSeconds = opts.staleSeconds ?? 60;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? runner.concurrency);

  let completed = 0;
  let failed = 0;
  let pruned = 0;
  let requeued = 0;
  let recovered = recoverDeadTrials(opts, owner) + storage.failStaleTrials(studyId, staleSeconds).length;
  if (recovered > 0) events.note?.(`queued again ${recovered} trial(s) left RUNNING by a process that died`);

  const active = new Map<number, { info: ActiveTrial; done: Promise<void>; abort: AbortController }>();
  const freeSlots = Array.from({ length: maxInFlight }, (_, i) => maxInFlight - 1 - i);
  const sharing = new ShareTracker(opts.shareKey);
  const held: FrozenTrial[] = [];
  // Held trials show as RUNNING; keep them few, but enough to look past one key's run of points.
  const maxHeld = maxInFlight * 8;
  let wake: () => void = () => {};

  const heartbeat = setInterval(() => {
    for (const id of active.keys()) storage.heartbeat(id);
    for (const t of held) storage.heartbeat(t.id);
  }, heartbeatMs);
  heartbeat.unref();

  const start = (trial: FrozenTrial) => {
    sharing.started(trial);
    const info: ActiveTrial = { trial, slot: freeSlots.pop()!, startedAt: Date.now() };
    const abort = new AbortController();
    const recorder = new ProgressRecorder(storage, trial, objectiveScore(trial.params.model, opts.objective));
    // Set when the pruner stops the trial: its abort then means PRUNED, not "queue again".
    let prunedAt: PrunedAt | null = null;
    events.trialStarted?.(info);
    const done = runner
      .run(opts.makeTask(trial), (p) => {
        recorder.record(p);
        if (opts.pruner && !prunedAt && !abort.signal.aborted && p.type === 'epoch' && p.phase === 'joint' && p.auroc) {
          // A pruner that cannot read the database must not take the trial down with it: it runs on.
          try {
            const d = opts.pruner.check(trial, p.epoch);
            if (d.prune) {
              prunedAt = { epoch: p.epoch, reason: d.reason };
              abort.abort();
            }
          } catch (err) {
            events.note?.(`pruner: trial ${trial.number} epoch ${p.epoch}: ${errorLine(err)}`);
          }
        }
        if (p.type === 'phase' && p.phase === 'joint' && sharing.built(trial, true)) wake();
        events.progress?.(info, p);
      }, abort.signal)
      .then(
        (result) => {
          const seconds = (Date.now() - info.startedAt) / 1000;
          recorder.complete(result, seconds);
          completed++;
          events.trialFinished?.(info, { state: 'COMPLETE', value: result.value, seconds });
        },
        (err: unknown) => {
          const seconds = (Date.now() - info.startedAt) / 1000;
          if (prunedAt) {
            const value = recorder.prune(prunedAt, seconds);
            pruned++;
            events.trialFinished?.(info, { state: 'PRUNED', value: value ?? undefined, pruned: prunedAt, seconds });
          } else if (isAbort(err) || abort.signal.aborted) {
            storage.requeueTrial(trial.id);
            requeued++;
            events.trialFinished?.(info, { state: 'INTERRUPTED', seconds });
          } else {
            const error = errorLine(err);
            recorder.fail(error, seconds);
            failed++;
            events.trialFinished?.(info, { state: 'FAIL', error, seconds });
          }
        },
      )
      .finally(() => {
        sharing.built(trial, false);
        active.delete(trial.id);
        freeSlots.push(info.slot);
      });
    active.set(trial.id, { info, done, abort });
  };

  const onAbort = () => {
    for (const a of active.values()) a.abort.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });

  let lastStaleCheck = Date.now();
  try {
    for (;;) {
      // Held trials first (they were claimed earlier), then new claims.
      for (let i = 0; i < held.length && !signal.aborted && active.size < maxInFlight; ) {
        if (sharing.blocked(held[i]!)) i++;
        else start(held.splice(i, 1)[0]!);
      }
      while (!signal.aborted && active.size < maxInFlight && held.length < maxHeld) {
        const trial = storage.claimTrial(studyId, owner);
        if (!trial) break;
        if (sharing.blocked(trial)) held.push(trial);
        else start(trial);
      }
      if (active.size > 0) {
        const woken = new Promise<void>((r) => (wake = r));
        await Promise.race([...[...active.values()].map((a) => a.done), woken]);
      } else {
        // Nothing of ours runs and nothing waits. Trials still RUNNING belong to
        // another process: wait for them to finish, or to go stale and come back.
        if (signal.aborted || storage.countTrials(studyId)[TrialState.RUNNING] === 0) break;
        await sleep(Math.min(heartbeatMs, 1000), signal);
      }
      if (Date.now() - lastStaleCheck > (staleSeconds * 1000) / 2) {
        lastStaleCheck = Date.now();
        const n = storage.failStaleTrials(studyId, staleSeconds).length;
        if (n > 0) events.note?.(`queued again ${n} trial(s) whose process stopped sending heartbeats`);
        recovered += n;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    onAbort();
    await Promise.allSettled([...active.values()].map((a) => a.done));
    for (const t of held.splice(0)) {
      storage.requeueTrial(t.id);
      requeued++;
    }
    clearInterval(heartbeat);
  }
  return { completed, failed, pruned, requeued, recovered, interrupted: signal.aborted };
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
  private backend: string | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly trial: FrozenTrial,
    private readonly score: Score,
  ) {}

  record(p: Progress): void {
    const id = this.trial.id;
    if (p.type === 'backend') {
      this.backend = p.backend;
      this.storage.setUserAttrs(id, { backend: p.backend, backend_notes: [...p.notes], ...(p.kernels ? { backend_kernels: p.kernels } : {}) });
      return;
    }
    if (p.type !== 'epoch') return;
    this.lossHistory.push({ phase: p.phase, epoch: p.epoch, ...finiteOrNull(p.losses) });
    const attrs: Record<string, JsonValue> = { loss_history: this.lossHistory };
    if (p.phase === 'joint') this.jointEpochs++;
    if (p.auroc) {
      for (const [score, v] of Object.entries(p.auroc)) (this.aurocHistory[score] ??= []).push(v as number);
      attrs.auroc_history = this.aurocHistory;
      this.aurocEpochs.push(p.epoch);
      // Only when some epoch was not scored: then history entry i is of epoch auroc_epochs[i], not i + 1.
      if (this.aurocEpochs.length !== this.jointEpochs) attrs.auroc_epochs = this.aurocEpochs;
    }
    const objective = p.auroc?.[this.score];
    this.storage.atomically(() => {
      if (objective !== undefined) this.storage.setIntermediateValue(id, p.epoch, objective);
      this.storage.setUserAttrs(id, attrs);
    });
  }

  complete(result: TrialResult, seconds: number): void {
    this.storage.atomically(() => {
      this.storage.setUserAttrs(this.trial.id, {
        ...result.attrs,
        auroc: { ...result.auroc } as Record<string, number>,
        objective_score: this.score,
        duration_s: round(seconds),
        ...(this.backend ? { backend: this.backend } : {}),
      });
      this.storage.finishTrial(this.trial.id, TrialState.COMPLETE, result.value);
    });
  }

  /** Optuna's pruned trial: state PRUNED, value = the last intermediate value; the curve stays. */
  prune(at: PrunedAt, seconds: number): number | null {
    const id = this.trial.id;
    return this.storage.atomically(() => {
      const last = this.storage.getTrial(id).intermediate.get(at.epoch);
      const value = last !== undefined && Number.isFinite(last) ? last : null;
      this.storage.setUserAttrs(id, {
        pruned_at: { epoch: at.epoch, reason: at.reason },
        objective_score: this.score,
        duration_s: round(seconds),
        ...(this.backend ? { backend: this.backend } : {}),
      });
      this.storage.finishTrial(id, TrialState.PRUNED, value);
      return value;
    });
  }

  fail(error: string, seconds: number): void {
    this.storage.atomically(() => {
      this.storage.setUserAttrs(this.trial.id, { error, duration_s: round(seconds) });
      this.storage.finishTrial(this.trial.id, TrialState.FAIL, null);
    });
  }
}

/**
 * RUNNING trials claimed on this host by a process that no longer exists
 * (SIGKILL, OOM, power cut of a terminal) need not wait for their heartbeat
 * to go stale: fail them now and queue their points again.
 */
function recoverDeadTrials(opts: SchedulerOptions, owner: string): number {
  const host = owner.slice(0, owner.lastIndexOf(':'));
  let n = 0;
  for (const t of opts.storage.getTrials(opts.studyId, [TrialState.RUNNING])) {
    const worker = String(t.systemAttrs.worker ?? '');
    const sep = worker.lastIndexOf(':');
    if (sep < 0 || worker.slice(0, sep) !== host) continue;
    const pid = Number(worker.slice(sep + 1));
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    opts.storage.setUserAttrs(t.id, { error: `process ${pid} on ${host} died while running this trial` });
    opts.storage.finishTrial(t.id, TrialState.FAIL, null);
    const point: GridPoint = { id: t.gridPoint, params: t.params };
    opts.storage.enqueuePoints(opts.studyId, [point], opts.distributions);
    n++;
  }
  return n;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errorLine(err: unknown): string {
  const e = err as Error | undefined;
  const msg = e?.message ?? String(err);
  return msg.length > 2000 ? `${msg.slice(0, 2000)}...` : msg;
}

function finiteOrNull(o: Readonly<Record<string, number>>): Record<string, number | null> {
  // JSON has no NaN: keep the key, say null.
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Waits ms, or less when the signal aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
