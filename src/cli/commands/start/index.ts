// `sweep start <study>`: validate, queue the grid, run it on the pool.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadStudyFile } from '../../../study/load.js';
import { fixedSettings, fixedSettingsDiff } from '../../../study/compat.js';
import type { BackendChoice, Study } from '../../../study/schema.js';
import { expandGrid, interleaveByShareKey, pretrainShareKey, searchSpace } from '../../../grid/expand.js';
import { openSqliteStorage } from '../../../storage/index.js';
import type { Storage } from '../../../storage/storage.js';
import { siblingModule, type TrialRunner } from '../../../pool/runner.js';
import { chooseRunner } from '../../../pool/choose.js';
import { runSweep, type SweepEvents, type SweepSummary } from '../../../scheduler/scheduler.js';
import { loadDatasetShared } from '../../../data/index.js';
import { datasetKey } from '../../../worker/dataset-key.js';
import { StorageError } from '../../../errors/index.js';
import { TrialState } from '../../../trial/state.js';
import { storagePruner } from '../../../pruners/index.js';
import { defaultDbPath } from '../../target.js';
import { plainLogger } from './log.js';
import { taskMaker } from './task.js';

export interface StartOptions {
  readonly studyFile: string;
  readonly db?: string;
  readonly workers?: number;
  readonly backend?: BackendChoice;
  /** Folder for caches (decoded data in data/, pretrained weights in pretrain/); null disables them. Default .cache */
  readonly cacheDir?: string | null;
  readonly staleSeconds?: number;
  readonly heartbeatMs?: number;
  /** Queue the points whose trials were pruned again, and run this sweep without the pruner so they finish. */
  readonly rerunPruned?: boolean;
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
  /** A different worker module (tests, benchmarks). */
  readonly workerFile?: string | URL;
  /** Replaces the plain log (the terminal UI). */
  readonly events?: (ctx: { storage: Storage; studyId: number; study: Study; workers: number }) => SweepEvents;
}

export interface StartResult extends SweepSummary {
  readonly dbPath: string;
  readonly studyName: string;
}

export async function runStart(opts: StartOptions): Promise<StartResult> {
  // Everything that can be wrong with the input is checked before the
  // database is touched: a bad study or missing data writes nothing.
  const { study, hash } = loadStudyFile(opts.studyFile);
  // Decoded once here, in shared memory: every worker thread reads this one
  // copy (and a bad or missing data set fails before anything is written).
  const cacheDir = opts.cacheDir === undefined ? '.cache' : opts.cacheDir;
  const data = await loadDatasetShared(study.dataset, { cacheDir: cacheDir === null ? null : join(cacheDir, 'data') });

  const dbPath = opts.db ?? study.storage ?? defaultDbPath(study.name);
  const backend = opts.backend ?? study.backend;

  const points = interleaveByShareKey(expandGrid(study.grid));
  const distributions = searchSpace(study.grid);
  const storage = openSqliteStorage(dbPath);
  let runner: TrialRunner | undefined;
  try {
    const existing = storage.getStudy(study.name);
    if (existing) {
      const diff = fixedSettingsDiff(existing.systemAttrs.fixed_settings, study);
      if (diff.length > 0)
        throw new StorageError(
          `study "${study.name}" was created with other fixed settings, so old and new trials would not be comparable:\n` +
            diff.map((d) => `  - ${d}`).join('\n') +
            `\nUse a new study name, another --db file, or restore those settings.`,
          dbPath,
        );
    }
    const summary = storage.openStudy(study.name, {
      fixed_settings: fixedSettings(study) as never,
    });
    // The latest definition (axes may have grown): the export reads it.
    storage.setStudySystemAttr(summary.id, 'definition', study as never);
    storage.setStudySystemAttr(summary.id, 'definition_hash', hash);
    storage.setStudySystemAttr(summary.id, 'search_space', distributions);
    const queued = storage.enqueuePoints(summary.id, points, distributions, { rerunPruned: opts.rerunPruned });
    const counts = () => {
      const c = storage.countTrials(summary.id);
      const pruned = c[TrialState.PRUNED] ? `, pruned ${c[TrialState.PRUNED]}` : '';
      return `[done ${c[TrialState.COMPLETE]}/${points.length}${pruned}, running ${c[TrialState.RUNNING]}, failed ${c[TrialState.FAIL]}]`;
    };
    opts.write(
      `study ${study.name}: ${points.length} grid points, ${queued.added} queued now, ${queued.present} already done or queued; ` +
        `database ${dbPath}; backend ${backend}` +
        (study.pruner ? (opts.rerunPruned ? '; pruner off (--rerun-pruned)' : `; pruner ${study.pruner.kind}`) : ''),
    );

    const chosen = await chooseRunner(backend, opts.workers ?? study.workers, opts.workerFile ?? siblingModule(import.meta.url, '../../../worker/train-worker.js'), {
      datasets: { [datasetKey(study.dataset)]: data },
    });
    runner = chosen.runner;
    opts.write(`running on ${chosen.plan.why}`);
    const makeTask = taskMaker(study, backend, study.pretrainCache ? cacheDir : null);
    const events = opts.events
      ? opts.events({ storage, studyId: summary.id, study, workers: chosen.plan.workers })
      : plainLogger(opts.write, counts);
    const result = await runSweep({
      storage,
      studyId: summary.id,
      runner,
      makeTask,
      objective: study.objective,
      distributions,
      signal: opts.signal,
      events,
      staleSeconds: opts.staleSeconds,
      heartbeatMs: opts.heartbeatMs,
      shareKey: study.pretrainCache && cacheDir !== null ? (t) => pretrainShareKey(t.params) : undefined,
      owner: `${hostname()}:${process.pid}`,
      pruner:
        study.pruner && !opts.rerunPruned ? storagePruner(study.pruner, storage, summary.id, study.training.jointEpochs) : undefined,
    });
    return { ...result, dbPath, studyName: study.name };
  } finally {
    await runner?.close();
    storage.close();
  }
}

export function summaryLine(r: StartResult): string {
  const what = r.interrupted ? 'stopped' : 'finished';
  return (
    `sweep ${what}: ${r.completed} completed, ${r.failed} failed` +
    (r.pruned ? `, ${r.pruned} pruned` : '') +
    (r.requeued ? `, ${r.requeued} interrupted and queued again` : '') +
    (r.recovered ? `, ${r.recovered} recovered from a dead process` : '') +
    ` (study ${r.studyName}, ${r.dbPath})`
  );
}
