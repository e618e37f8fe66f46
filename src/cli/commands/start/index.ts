// `sweep start <study>`: validate, queue the grid, run it on the pool.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadStudyFile } from '../../../study/load.js';
import { fixedSettings, fixedSettingsDiff, gridChanges, type DefinitionRecord } from '../../../study/compat.js';
import { canonicalJson } from '../../../grid/expand.js';
import { membershipOf } from '../../../grid/membership.js';
import { probeBackend } from '../../../engine/backend.js';
import type { BackendChoice, Study } from '../../../study/schema.js';
import { expandGridAsync, interleaveByShareKey, searchSpace, type GridPoint, type ParamValue } from '../../../grid/expand.js';
import { DEFAULT_MAX_POINTS, gridSizeProblem } from '../../../grid/limit.js';
import { archProblem } from '../../../models/network.js';
import { openSqliteStorage } from '../../../storage/index.js';
import type { EnqueueOptions, Storage } from '../../../storage/storage.js';
import { siblingModule, type TrialRunner } from '../../../pool/runner.js';
import { chooseRunner } from '../../../pool/choose.js';
import { runSweep, type SweepEvents, type SweepSummary } from '../../../scheduler/scheduler.js';
import { expectedInputShape, loadDatasetShared, preparedShape, type InputShape, type RawDataset } from '../../../data/index.js';
import { datasetKey } from '../../../worker/dataset-key.js';
import { trialPretrainKey } from '../../../training/pretrain-cache.js';
import { StorageError, StudyFileError } from '../../../errors/index.js';
import { TrialState } from '../../../trial/state.js';
import { storagePruner } from '../../../pruners/index.js';
import { retryLimit } from '../../../trial/retries.js';
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
  /** Queue the points whose trials were pruned again, and run this sweep without the pruner so they finish. */
  readonly rerunPruned?: boolean;
  /** Largest grid run without refusing it (default DEFAULT_MAX_POINTS). */
  readonly maxPoints?: number;
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
  /** Every line written is one JSON object (log.ts jsonLogger), for scripts. */
  readonly json?: boolean;
  /** A different worker module (tests, benchmarks). */
  readonly workerFile?: string | URL;
  /** Clock for the definition history (tests); default now. */
  readonly now?: () => Date;
  /** Replaces the plain log (the terminal UI). */
  readonly events?: (ctx: { storage: Storage; studyId: number; study: Study; workers: number; sharedPretraining: boolean }) => SweepEvents;
}

export interface StartResult extends SweepSummary {
  readonly dbPath: string;
  readonly studyName: string;
}

export async function runStart(opts: StartOptions): Promise<StartResult> {
  // With --json the messages below are events too.
  const say = (event: string, message: string, data: Record<string, unknown> = {}) =>
    opts.write(opts.json ? JSON.stringify({ event, time: new Date().toISOString(), message, ...data }) : message);
  // Everything that can be wrong with the input is checked before anything is
  // written, in this order: the study file (schema and bounds), the grid's
  // size (counted, not expanded), the network against the data set's image
  // size; then the data are read (only regular files; this may write the data
  // cache) and their actual size checked; only then the database is opened.
  const { study, hash } = loadStudyFile(opts.studyFile);
  const tooLarge = gridSizeProblem(study.grid, opts.maxPoints ?? DEFAULT_MAX_POINTS);
  if (tooLarge) throw new StudyFileError(opts.studyFile, [`grid: ${tooLarge}`]);
  const expectedShape = expectedInputShape(study.dataset.name);
  if (expectedShape) checkArch(study, expectedShape, opts.studyFile);
  const cacheDir = opts.cacheDir === undefined ? '.cache' : opts.cacheDir;
  const dbPath = opts.db ?? study.storage ?? defaultDbPath(study.name);
  const backend = opts.backend ?? study.backend;

  // An explicit backend that cannot load is refused here, before the data are
  // read or the database opened: no queued trial is claimed and burned as FAIL.
  await probeBackend(backend);

  // A stop while the data are read or the grid expanded: nothing is stored yet, nothing to put back.
  const stopped: StartResult = { completed: 0, failed: 0, pruned: 0, requeued: 0, recovered: 0, interrupted: true, dbPath, studyName: study.name };
  say('loading', `study ${study.name}: loading data set ${study.dataset.name}`, { dataset: study.dataset.name });
  let data: RawDataset | null;
  let points: GridPoint[];
  let pretrainInput: InputShape;
  try {
    // Decoded once here, in shared memory: every worker thread reads this one
    // copy (and a bad or missing data set fails before anything is written).
    // Reads stop between chunks on a signal; a gunzip in progress cannot, so
    // the wait for it is left behind at once (the process exits).
    data = await untilAborted(
      loadDatasetShared(study.dataset, { cacheDir: cacheDir === null ? null : join(cacheDir, 'data'), signal: opts.signal }),
      opts.signal,
    );
    if (data === null) return stopped;
    pretrainInput = preparedShape(data.train, data.preprocessing);
    checkArch(study, pretrainInput, opts.studyFile);
    // By the pretraining key (a point that does not pretrain is a key of its own).
    const input = pretrainInput;
    const keyOf = (p: GridPoint) => trialPretrainKey({ dataset: study.dataset, training: study.training, arch: study.arch, params: p.params }, input)?.key ?? p.id;
    points = interleaveByShareKey(await expandGridAsync(study.grid, opts.signal), keyOf);
    opts.signal.throwIfAborted(); // a stop that came during a step that does not look at the signal
  } catch (err) {
    if (opts.signal.aborted) return stopped;
    throw err;
  }
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
    const maxRetries = retryLimit(study);
    let queued;
    try {
      queued = await enqueueInChunks(storage, summary.id, points, distributions, { maxRetries, rerunPruned: opts.rerunPruned }, opts.signal);
    } catch (err) {
      // The chunks queued so far stay: the next start queues the rest.
      if (opts.signal.aborted) return stopped;
      throw err;
    }
    const counts = () => {
      const c = storage.countTrials(summary.id, 'grid');
      const pruned = c[TrialState.PRUNED] ? `, pruned ${c[TrialState.PRUNED]}` : '';
      return `[done ${c[TrialState.COMPLETE]}/${points.length}${pruned}, running ${c[TrialState.RUNNING]}, failed ${c[TrialState.FAIL]}]`;
    };
    const foreign = Object.values(storage.countTrials(summary.id, 'foreign')).reduce((a, b) => a + b, 0);
    say(
      'study',
      `study ${study.name}: ${points.length} grid points, ${queued.added} queued now, ${queued.present} already done or queued; ` +
        `database ${dbPath}; backend ${backend}` +
        (foreign > 0 ? `; ${foreign} trial(s) not from this grid (added from Optuna), ignored` : '') +
        (study.pruner ? (opts.rerunPruned ? '; pruner off (--rerun-pruned)' : `; pruner ${study.pruner.kind}`) : ''),
      { study: study.name, points: points.length, queued: queued.added, present: queued.present, db: dbPath, backend, foreign },
    );
    if (queued.exhausted)
      say('note', `${queued.exhausted} grid point(s) not queued again: they failed ${maxRetries + 1} time(s) (maxRetries ${maxRetries}; sweep status lists them)`);

    const chosen = await chooseRunner(backend, opts.workers ?? study.workers, opts.workerFile ?? siblingModule(import.meta.url, '../../../worker/train-worker.js'), {
      datasets: { [datasetKey(study.dataset)]: data },
    });
    runner = chosen.runner;
    say('runner', `running on ${chosen.plan.why}`, { workers: chosen.plan.workers });
    const makeTask = taskMaker(study, backend, study.pretrainCache ? cacheDir : null);
    const events = opts.events
      ? opts.events({ storage, studyId: summary.id, study, workers: chosen.plan.workers, sharedPretraining: study.pretrainCache && cacheDir !== null })
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
      trialTimeoutSeconds: study.trialTimeout,
      maxRetries,
      heartbeatMs: opts.heartbeatMs,
      // The pretraining key itself (the cache file's), so that holding back and the cache agree (docs/architecture.md, "Pretraining sharing").
      shareKey: study.pretrainCache && cacheDir !== null ? (t) => trialPretrainKey(makeTask(t), pretrainInput)?.key ?? null : undefined,
      owner: `${hostname()}:${process.pid}`,
      pruner:
        study.pruner && !opts.rerunPruned ? storagePruner(study.pruner, storage, summary.id, study.training.jointEpochs) : undefined,
      // Points of the definition in force only: not those of removed axis values.
      accept: (t) => membershipOf(t, expected) === 'ours',
    });
    return { ...result, dbPath, studyName: study.name };
  } finally {
    await runner?.close();
    storage.close();
  }
}

/** The study's network cannot take the data's images: refused naming the study file and arch.channels. */
function checkArch(study: Study, input: InputShape, studyFile: string): void {
  const problem = archProblem(study.arch, input);
  if (problem) throw new StudyFileError(studyFile, [`${problem.startsWith('latent') ? 'arch.latent' : 'arch.channels'}: ${problem} (data set ${study.dataset.name})`]);
}

/**
 * Points queued in one transaction. A chunk's time is mostly enqueuePoints
 * reading the points already queued (all of them, on every call), so late
 * chunks of a 10^5 grid take up to ~1.6 s on a 2-core machine under load 14
 * (bench/grid-size.ts, bench/RESULTS.md); smaller chunks would not shorten it.
 */
const ENQUEUE_CHUNK = 1000;

/**
 * Queues the points a chunk at a time, giving the event loop a turn between
 * chunks so that a signal is handled while a large grid is queued. Each chunk
 * is its own transaction: a stop in between leaves whole points queued, and
 * the next start queues the rest (enqueuePoints skips points already there).
 */
export async function enqueueInChunks(
  storage: Storage,
  studyId: number,
  points: readonly GridPoint[],
  distributions: Record<string, ParamValue[]>,
  options: EnqueueOptions,
  signal: AbortSignal,
): Promise<{ added: number; present: number; exhausted: number }> {
  let added = 0;
  let present = 0;
  let exhausted = 0;
  for (let i = 0; i < points.length; i += ENQUEUE_CHUNK) {
    if (i > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
    }
    const q = storage.enqueuePoints(studyId, points.slice(i, i + ENQUEUE_CHUNK), distributions, options);
    added += q.added;
    present += q.present;
    exhausted += q.exhausted ?? 0;
  }
  return { added, present, exhausted };
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

/** The promise's value, or null as soon as the signal aborts (at once when it already has). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
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
