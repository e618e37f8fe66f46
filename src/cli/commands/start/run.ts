// Running the queued trials of a study on this host: shared by `sweep start`
// (after it queued the grid) and `sweep worker` (which joins a study queued
// elsewhere). Same runner choice, same scheduler, same heartbeats and
// signal handling, and the same end: both leave when nothing waits and
// nothing runs, here or on another host (while other hosts' trials run, they
// watch them and take over any whose host died: src/scheduler). The callers
// differ only in how they got the study.
import { preparedShape, type RawDataset } from '../../../data/index.js';
import { isPostgresUrl } from '../../../storage/open.js';
import { trialPretrainKey } from '../../../training/pretrain-cache.js';
import type { ParamValue } from '../../../grid/expand.js';
import { membershipOf } from '../../../grid/membership.js';
import { chooseRunner } from '../../../pool/choose.js';
import { siblingModule, type TrialRunner } from '../../../pool/runner.js';
import { storagePruner } from '../../../pruners/index.js';
import { claimAttrs, ownerOf, type HostIdentity } from '../../../scheduler/host.js';
import { runSweep, type SweepEvents, type SweepSummary } from '../../../scheduler/scheduler.js';
import type { Storage } from '../../../storage/storage.js';
import type { BackendChoice, Study } from '../../../study/schema.js';
import { TrialState } from '../../../trial/state.js';
import { retryLimit } from '../../../trial/retries.js';
import { datasetKey } from '../../../worker/dataset-key.js';
import { jsonLogger, plainLogger } from './log.js';
import { taskMaker } from './task.js';

/** Builds the live screen's events (start, in a terminal). */
export type EventsFactory = (ctx: {
  storage: Storage;
  studyId: number;
  study: Study;
  workers: number;
  sharedPretraining: boolean;
}) => SweepEvents | Promise<SweepEvents>;

/** Says a line for the user, or with --json writes it as one event object. */
export type Say = (event: string, message: string, data?: Record<string, unknown>) => void;

/** `start`'s and `worker`'s Say. */
export function sayer(write: (line: string) => void, json: boolean | undefined): Say {
  return (event, message, data = {}) =>
    write(json ? JSON.stringify({ event, time: new Date().toISOString(), message, ...data }) : message);
}

/** What `start` and `worker` return when a signal stops them before any trial ran. */
export function stoppedBeforeRun(
  dbPath: string,
  studyName: string,
): SweepSummary & { readonly dbPath: string; readonly studyName: string } {
  return { completed: 0, failed: 0, pruned: 0, requeued: 0, recovered: 0, interrupted: true, dbPath, studyName };
}

export interface RunTrialsOptions {
  readonly storage: Storage;
  readonly studyId: number;
  /** The study definition in force (the file for start, the stored `definition` for worker). */
  readonly study: Study;
  /** The decoded data set, in shared memory. */
  readonly data: RawDataset;
  readonly backend: BackendChoice;
  readonly workers?: number;
  /** Cache folder (pretrained weights under pretrain/); null: none. */
  readonly cacheDir: string | null;
  readonly distributions: Record<string, ParamValue[]>;
  /** Grid point ids of the definition in force: only their trials are claimed. */
  readonly expected: ReadonlySet<string>;
  readonly identity: HostIdentity;
  readonly staleSeconds?: number;
  readonly heartbeatMs?: number;
  readonly rerunPruned?: boolean;
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
  readonly json?: boolean;
  readonly workerFile?: string | URL;
  readonly events?: EventsFactory;
  /** Says a line (an event with --json). */
  readonly say: Say;
}

/** Counts of the grid's trials, for progress lines (one storage read, cheap enough per finished trial). */
export function gridCounts(storage: Storage, studyId: number): Promise<Readonly<Record<TrialState, number>>> {
  return storage.countTrials(studyId, 'grid');
}

export async function runTrials(o: RunTrialsOptions): Promise<SweepSummary> {
  const { study, storage, studyId } = o;
  const points = o.expected.size;
  let runner: TrialRunner | undefined;
  try {
    const chosen = await chooseRunner(
      o.backend,
      o.workers ?? study.workers,
      o.workerFile ?? siblingModule(import.meta.url, '../../../worker/train-worker.js'),
      {
        datasets: { [datasetKey(study.dataset)]: o.data },
      },
    );
    runner = chosen.runner;
    const id = o.identity;
    o.say(
      'runner',
      `running on ${chosen.plan.why}; host ${id.host}, pid ${id.pid}` +
        (id.cudaVisibleDevices !== undefined ? `, CUDA_VISIBLE_DEVICES=${id.cudaVisibleDevices}` : ''),
      { workers: chosen.plan.workers, host: id.host, pid: id.pid, cuda_visible_devices: id.cudaVisibleDevices ?? null },
    );
    const sharedPretraining = study.pretrainCache && o.cacheDir !== null;
    const counts = async () => {
      const c = await gridCounts(storage, studyId);
      const pruned = c[TrialState.PRUNED] ? `, pruned ${c[TrialState.PRUNED]}` : '';
      return `[done ${c[TrialState.COMPLETE]}/${points}${pruned}, running ${c[TrialState.RUNNING]}, failed ${c[TrialState.FAIL]}]`;
    };
    const events = o.events
      ? await o.events({ storage, studyId, study, workers: chosen.plan.workers, sharedPretraining })
      : o.json
        ? jsonLogger(o.write, async () => {
            const c = await gridCounts(storage, studyId);
            return {
              complete: c[TrialState.COMPLETE],
              running: c[TrialState.RUNNING],
              failed: c[TrialState.FAIL],
              points,
            };
          })
        : plainLogger(o.write, counts);
    const makeTask = taskMaker(study, o.backend, study.pretrainCache ? o.cacheDir : null);
    const input = preparedShape(o.data.train, o.data.preprocessing);
    // A study on a server database has hosts that share its pretrainings
    // through the database (docs/architecture.md, "Pretraining sharing"); on
    // SQLite, one host, the local cache is enough.
    const shareAcrossHosts = sharedPretraining && isPostgresUrl(storage.location);
    return await runSweep({
      storage,
      studyId,
      runner,
      makeTask,
      objective: study.objective,
      distributions: o.distributions,
      signal: o.signal,
      events,
      staleSeconds: o.staleSeconds,
      trialTimeoutSeconds: study.trialTimeout,
      maxRetries: retryLimit(study),
      heartbeatMs: o.heartbeatMs,
      // The pretraining key itself (the cache file's), so that holding back, the cache and the artifacts agree.
      shareKey: sharedPretraining ? (t) => trialPretrainKey(makeTask(t), input)?.key ?? null : undefined,
      sharePretraining: shareAcrossHosts,
      owner: ownerOf(id),
      claimAttrs: claimAttrs(id),
      pruner:
        study.pruner && !o.rerunPruned
          ? storagePruner(study.pruner, storage, studyId, study.training.jointEpochs)
          : undefined,
      // Points of the definition in force only: not those of removed axis values.
      accept: (t) => membershipOf(t, o.expected) === 'ours',
    });
  } finally {
    await runner?.close();
  }
}
