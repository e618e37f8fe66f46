// Which hosts ran a study's trials (issue 13, item 4): per host, trials done,
// running and failed, its processes and GPUs, and its last sign of life.
// Pure, over trial snapshots: `sweep status` prints it, the live screen may.
import type { FrozenTrial } from '../storage/storage.js';
import { TrialState } from '../trial/state.js';

export interface HostActivity {
  /** The trial system attribute `host` (hostname or --host-id), else the host part of `worker` (trials from before `host`). */
  readonly host: string;
  /** COMPLETE or PRUNED trials it ran (their points need no other run). */
  readonly done: number;
  readonly running: number;
  readonly failed: number;
  /** Its processes (trial attribute `pid`, else from `worker`), ascending. */
  readonly pids: readonly number[];
  /** CUDA_VISIBLE_DEVICES of its processes (`sweep worker --gpus`), where set. */
  readonly gpus: readonly string[];
  /**
   * ISO time of its latest sign of life: the newest heartbeat of its RUNNING
   * trials, or the end of its latest finished trial (a trial's heartbeat row
   * goes when it finishes); null when none is known.
   */
  readonly lastHeartbeat: string | null;
}

/** Host and pid of the process that claimed a trial; null for a trial never claimed by us (or by Optuna). */
export function trialHost(t: FrozenTrial): { host: string; pid: number | null } | null {
  const worker = typeof t.systemAttrs.worker === 'string' ? t.systemAttrs.worker : '';
  const sep = worker.lastIndexOf(':');
  const fromWorker = sep > 0 ? { host: worker.slice(0, sep), pid: Number(worker.slice(sep + 1)) } : null;
  const host = typeof t.systemAttrs.host === 'string' ? t.systemAttrs.host : fromWorker?.host;
  if (host === undefined || host === '') return null;
  const pid = typeof t.systemAttrs.pid === 'number' ? t.systemAttrs.pid : fromWorker?.pid;
  return { host, pid: pid !== undefined && Number.isInteger(pid) ? pid : null };
}

/** One entry per host that claimed a trial, by host name; WAITING trials (claimed by nobody now) are left out. */
export function hostsOf(trials: readonly FrozenTrial[]): HostActivity[] {
  const acc = new Map<
    string,
    { done: number; running: number; failed: number; pids: Set<number>; gpus: Set<string>; last: number | null }
  >();
  for (const t of trials) {
    if (t.state === TrialState.WAITING) continue;
    const who = trialHost(t);
    if (!who) continue;
    let a = acc.get(who.host);
    if (!a) acc.set(who.host, (a = { done: 0, running: 0, failed: 0, pids: new Set(), gpus: new Set(), last: null }));
    if (t.state === TrialState.RUNNING) a.running++;
    else if (t.state === TrialState.FAIL) a.failed++;
    else a.done++;
    if (who.pid !== null) a.pids.add(who.pid);
    if (typeof t.systemAttrs.cuda_visible_devices === 'string') a.gpus.add(t.systemAttrs.cuda_visible_devices);
    const seen = (
      t.state === TrialState.RUNNING ? (t.heartbeatAt ?? t.startedAt) : (t.completedAt ?? t.heartbeatAt)
    )?.getTime();
    if (seen !== undefined && Number.isFinite(seen) && (a.last === null || seen > a.last)) a.last = seen;
  }
  return [...acc.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([host, a]) => ({
      host,
      done: a.done,
      running: a.running,
      failed: a.failed,
      pids: [...a.pids].sort((x, y) => x - y),
      gpus: [...a.gpus].sort(),
      lastHeartbeat: a.last === null ? null : new Date(a.last).toISOString(),
    }));
}

/** One line per host, for `sweep status`. */
export function hostLines(hosts: readonly HostActivity[]): string[] {
  if (hosts.length === 0) return [];
  const width = Math.max(...hosts.map((h) => h.host.length));
  return [
    `hosts: ${hosts.length}`,
    ...hosts.map(
      (h) =>
        `  ${h.host.padEnd(width)}  done ${h.done}, running ${h.running}, failed ${h.failed}; last heartbeat ${h.lastHeartbeat ?? 'none'}` +
        (h.pids.length ? `; pids ${h.pids.join(', ')}` : '') +
        (h.gpus.length ? `; GPUs ${h.gpus.join(', ')}` : ''),
    ),
  ];
}
