// `sweep start <study>`: validate, queue the grid, run it on the pool.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadStudyFile } from '../../../study/load.js';
import { fixedSettings, fixedSettingsDiff, gridChanges, type DefinitionRecord } from '../../../study/compat.js';
import { canonicalJson } from '../../../grid/expand.js';
import { membershipOf } from '../../../grid/membership.js';
import { probeBackend } from '../../../engine/backend.js';
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
import { defaultDbPath } from '../../target.js';
import { jsonLogger, plainLogger } from './log.js';
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
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
  /** Every line written is one JSON object (log.ts jsonLogger), for scripts. */
  readonly json?: boolean;
  /** A different worker module (tests, benchmarks). */
  readonly workerFile?: string | URL;
  /** Clock for the definition history (tests); default now. */
  readonly now?: () => Date;
  /** Replaces the plain log (the terminal UI). */
  readonly events?: (ctx: { storage: Storage; studyId: number; study: Study; workers: number }) => SweepEvents;
}

export interface StartResult extends SweepSummary {
  readonly dbPath: string;
  readonly studyName: string;
}

export async function runStart(opts: StartOptions): Promise<StartResult> {
  // With --json the messages below are events too.
  const say = (event: string, message: string, data: Record<string, unknown> = {}) =>
    opts.write(opts.json ? JSON.stringify({ event, time: new Date().toISOString(), message, ...data }) : message);
  // Everything that can be wrong with the input is checked before the
  // database is touched: a bad study or missing data writes nothing.
  const { study, hash } = loadStudyFile(opts.studyFile);
  // Decoded once here, in shared memory: every worker thread reads this one
  // copy (and a bad or missing data set fails before anything is written).
  const cacheDir = opts.cacheDir === undefined ? '.cache' : opts.cacheDir;
  const data = await loadDatasetShared(study.dataset, { cacheDir: cacheDir === null ? null : join(cacheDir, 'data') });

  const dbPath = opts.db ?? study.storage ?? defaultDbPath(study.name);
  const backend = opts.backend ?? study.backend;

  // An explicit backend that cannot load is refused here, before the database
  // is opened: no queued trial is claimed and burned as FAIL.
  await probeBackend(backend);

  const points = interleaveByShareKey(expandGrid(study.grid));
  const expected = new Set(points.map((p) => p.id));
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
    // The latest definition (axes may have grown or shrunk): status and the
    // export read it, and leave out the trials of removed points. Every change
    // is kept in `definition_history`, so a shrunk grid is never silent.
    const changed = recordDefinition(storage, summary.id, summary.systemAttrs, study, hash, (opts.now ?? (() => new Date()))());
    if (changed) say('definition_changed', `study ${study.name}: definition changed since the last start: ${changed}`);
    storage.setStudySystemAttr(summary.id, 'definition', study as never);
    storage.setStudySystemAttr(summary.id, 'definition_hash', hash);
    storage.setStudySystemAttr(summary.id, 'search_space', distributions);
    const queued = storage.enqueuePoints(summary.id, points, distributions);
    const counts = () => {
      const c = storage.countTrials(summary.id, 'grid');
      return `[done ${c[TrialState.COMPLETE]}/${points.length}, running ${c[TrialState.RUNNING]}, failed ${c[TrialState.FAIL]}]`;
    };
    const foreign = Object.values(storage.countTrials(summary.id, 'foreign')).reduce((a, b) => a + b, 0);
    say(
      'study',
      `study ${study.name}: ${points.length} grid points, ${queued.added} queued now, ${queued.present} already done or queued; ` +
        `database ${dbPath}; backend ${backend}` +
        (foreign > 0 ? `; ${foreign} trial(s) not from this grid (added from Optuna), ignored` : ''),
      { study: study.name, points: points.length, queued: queued.added, present: queued.present, db: dbPath, backend, foreign },
    );

    const chosen = await chooseRunner(backend, opts.workers ?? study.workers, opts.workerFile ?? siblingModule(import.meta.url, '../../../worker/train-worker.js'), {
      datasets: { [datasetKey(study.dataset)]: data },
    });
    runner = chosen.runner;
    say('runner', `running on ${chosen.plan.why}`, { workers: chosen.plan.workers });
    const makeTask = taskMaker(study, backend, study.pretrainCache ? cacheDir : null);
    const events = opts.events
      ? opts.events({ storage, studyId: summary.id, study, workers: chosen.plan.workers })
      : opts.json
        ? jsonLogger(opts.write, () => {
            const c = storage.countTrials(summary.id, 'grid');
            return { complete: c[TrialState.COMPLETE], running: c[TrialState.RUNNING], failed: c[TrialState.FAIL], points: points.length };
          })
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
      // Points of the definition in force only: not those of removed axis values.
      accept: (t) => membershipOf(t, expected) === 'ours',
    });
    return { ...result, dbPath, studyName: study.name };
  } finally {
    await runner?.close();
    storage.close();
  }
}

/**
 * Appends the definition to the study's `definition_history` when its hash is
 * new; returns what changed in words (null when nothing did, or on creation).
 */
function recordDefinition(
  storage: Storage,
  studyId: number,
  attrs: Readonly<Record<string, unknown>>,
  study: Study,
  hash: string,
  now: Date,
): string | null {
  const history = Array.isArray(attrs.definition_history) ? (attrs.definition_history as unknown as DefinitionRecord[]) : [];
  const lastHash = history.at(-1)?.hash ?? (typeof attrs.definition_hash === 'string' ? attrs.definition_hash : null);
  if (lastHash === hash) return null;
  const before = attrs.definition as Record<string, unknown> | undefined;
  const changes = before ? gridChanges(before.grid, study.grid) : [];
  const after = study as unknown as Record<string, unknown>;
  const otherChanges = before
    ? [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .filter((k) => k !== 'grid' && canonicalJson(before[k]) !== canonicalJson(after[k]))
        .sort()
    : [];
  // A study created before the history existed: its first definition is known by hash only.
  const base: DefinitionRecord[] =
    history.length === 0 && lastHash !== null ? [{ hash: lastHash, at: '', changes: [], otherChanges: [] }] : history;
  const record: DefinitionRecord = { hash, at: now.toISOString(), changes, otherChanges };
  storage.setStudySystemAttr(studyId, 'definition_history', [...base, record] as never);
  if (!before) return null;
  const words = [...changes, ...(otherChanges.length ? [`also changed: ${otherChanges.join(', ')}`] : [])];
  const removed = changes.some((c) => c.includes(': removed '));
  return (
    (words.join('; ') || 'formatting only') +
    (removed ? ' (trials of removed points stay in the database, but are not run, counted or exported)' : '')
  );
}

export function summaryLine(r: StartResult): string {
  const what = r.interrupted ? 'stopped' : 'finished';
  return (
    `sweep ${what}: ${r.completed} completed, ${r.failed} failed` +
    (r.requeued ? `, ${r.requeued} interrupted and queued again` : '') +
    (r.recovered ? `, ${r.recovered} recovered from a dead process` : '') +
    ` (study ${r.studyName}, ${r.dbPath})`
  );
}
