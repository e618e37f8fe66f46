// The one recovery policy for trials whose process is gone. A RUNNING trial of
// ours (it has a grid point) is dead when:
//   1. it was claimed on this host by a process that no longer exists (kill -9,
//      OOM): known now, no need to wait for its heartbeat to go stale; or
//   2. its heartbeat is older than staleSeconds by the database server's clock
//      (a process on another host, or one that hangs): the storage's
//      failStaleTrials, the one primitive that reads the server's clock.
// Either way the trial becomes FAIL with fail_kind "process" (it says nothing
// about the point, so it does not count against maxRetries) and its point is
// queued again, in one transaction: a crash in between cannot leave a FAIL
// trial whose point is never run again.
import { failedAttrs } from '../trial/attrs.js';
import type { FrozenTrial, RetryLimits, Storage } from '../storage/storage.js';
import type { GridPoint, ParamValue } from '../grid/expand.js';
import { TrialState } from '../trial/state.js';
import { FAIL_KIND_ATTR, type FailKind } from '../trial/retries.js';
import { WORKER_ATTR } from '../storage/index.js';

export interface RecoveryOptions {
  readonly storage: Storage;
  readonly studyId: number;
  /** "host:pid" of this process: trials claimed on this host are checked for a live pid. */
  readonly owner: string;
  readonly staleSeconds: number;
  /** Param distributions, to queue a point again. */
  readonly distributions: Record<string, readonly ParamValue[]>;
  readonly limits: RetryLimits;
  /** Whether a pid is alive on this host; injectable for tests. */
  readonly isAlive?: (pid: number) => boolean;
}

export interface Recovered {
  /** Trials of a process on this host that no longer exists. */
  readonly died: number;
  /** Trials whose heartbeat went stale. */
  readonly stale: number;
}

export async function recoverDeadTrials(o: RecoveryOptions): Promise<Recovered> {
  const alive = o.isAlive ?? isAlive;
  const host = o.owner.slice(0, o.owner.lastIndexOf(':'));
  let died = 0;
  for (const t of await o.storage.getTrials(o.studyId, [TrialState.RUNNING])) {
    if (t.gridPoint === '') continue; // Optuna's trial: Optuna's to fail
    const pid = deadPidOnHost(t, host, alive);
    if (pid === null) continue;
    if (await failAndRequeue(o, t, `process ${pid} on ${host} died while running this trial`)) died++;
  }
  const stale = (await o.storage.failStaleTrials(o.studyId, o.staleSeconds, o.limits)).length;
  return { died, stale };
}

/** The pid of the worker that claimed `t`, when it ran on `host` and is gone; else null. */
function deadPidOnHost(t: FrozenTrial, host: string, alive: (pid: number) => boolean): number | null {
  const worker = String(t.systemAttrs[WORKER_ATTR] ?? '');
  const sep = worker.lastIndexOf(':');
  if (sep < 0 || worker.slice(0, sep) !== host) return null;
  const pid = Number(worker.slice(sep + 1));
  if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) return null;
  return pid;
}

/** One transaction: FAIL (fail_kind "process") and the point queued again; false when another process got there first. */
async function failAndRequeue(o: RecoveryOptions, t: FrozenTrial, error: string): Promise<boolean> {
  return o.storage.atomically(async (tx) => {
    if ((await tx.getTrial(t.id)).state !== TrialState.RUNNING) return false;
    await tx.setUserAttrs(t.id, failedAttrs(error));
    await tx.setSystemAttrs(t.id, { [FAIL_KIND_ATTR]: 'process' satisfies FailKind });
    await tx.finishTrial(t.id, TrialState.FAIL, null);
    const point: GridPoint = { id: t.gridPoint, params: t.params };
    await tx.enqueuePoints(o.studyId, [point], o.distributions, o.limits);
    return true;
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
