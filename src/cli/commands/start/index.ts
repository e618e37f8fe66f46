// `sweep start <study>`: validate, queue the grid, run it on the pool
// (run.ts, shared with `sweep worker`); `--no-run` queues only.
import { loadStudyFile } from '../../../study/load.js';
import { fixedSettings, fixedSettingsDiff, gridChanges, type DefinitionRecord } from '../../../study/compat.js';
import { canonicalJson } from '../../../json.js';
import { probeBackend } from '../../../engine/backend.js';
import type { BackendChoice, Study } from '../../../study/schema.js';
import {
  expandGridAsync,
  interleaveByShareKey,
  searchSpace,
  type GridPoint,
  type ParamValue,
} from '../../../grid/expand.js';
import { DEFAULT_MAX_POINTS, gridSizeProblem } from '../../../grid/limit.js';
import { maskLocation, openStorage } from '../../../storage/index.js';
import { STUDY_ATTR } from '../../../trial/attrs.js';
import type { EnqueueOptions, Storage } from '../../../storage/storage.js';
import type { SweepSummary } from '../../../scheduler/scheduler.js';
import { hostIdentity } from '../../../scheduler/host.js';
import { expectedInputShape, type InputShape, type RawDataset } from '../../../data/index.js';
import { trialPretrainKey } from '../../../training/pretrain-cache.js';
import { StorageError, StudyFileError } from '../../../errors/index.js';
import { TrialState } from '../../../trial/state.js';
import { retryLimit } from '../../../trial/retries.js';
import { defaultDbPath } from '../../target.js';
import { checkDataFingerprint, DATA_FINGERPRINT_ATTR, recordDataFingerprint } from './data-fingerprint.js';
import { gridCounts, runTrials, sayer, stoppedBeforeRun, type EventsFactory } from './run.js';
import { checkArch, loadStudyData } from './study-data.js';

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
  readonly events?: EventsFactory;
  /** Queue the grid (all checks, the study created) and return without running anything: hosts join with `sweep worker`. */
  readonly noRun?: boolean;
  /** This host's id in the trials' system attributes (default os.hostname()): tests play several hosts on one machine. */
  readonly hostId?: string;
}

export interface StartResult extends SweepSummary {
  readonly dbPath: string;
  readonly studyName: string;
  /** start --no-run: queued, nothing run. */
  readonly queuedOnly?: boolean;
}

export async function runStart(opts: StartOptions): Promise<StartResult> {
  // With --json the messages below are events too.
  const say = sayer(opts.write, opts.json);
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
  // What results and messages show: a URL's password masked.
  const shown = maskLocation(dbPath);
  const backend = opts.backend ?? study.backend;

  // An explicit backend that cannot load is refused here, before the data are
  // read or the database opened: no queued trial is claimed and burned as FAIL.
  // Not with --no-run: nothing runs here, and the hosts that will run the
  // trials (a GPU backend on a CPU-only queueing box) check it themselves.
  if (!opts.noRun) await probeBackend(backend);

  // A stop while the data are read or the grid expanded: nothing is stored yet, nothing to put back.
  const stopped: StartResult = stoppedBeforeRun(shown, study.name);
  say('loading', `study ${study.name}: loading data set ${study.dataset.name}`, { dataset: study.dataset.name });
  let data: RawDataset;
  let points: GridPoint[];
  let pretrainInput: InputShape;
  try {
    // A bad or missing data set fails before anything is written.
    const loaded = await loadStudyData(study, { cacheDir, signal: opts.signal, studyFile: opts.studyFile });
    if (loaded === null) return stopped;
    ({ data, input: pretrainInput } = loaded);
    // By the pretraining key (a point that does not pretrain is a key of its own).
    const input = pretrainInput;
    const keyOf = (p: GridPoint) =>
      trialPretrainKey({ dataset: study.dataset, training: study.training, arch: study.arch, params: p.params }, input)
        ?.key ?? p.id;
    points = interleaveByShareKey(await expandGridAsync(study.grid, opts.signal), keyOf);
    opts.signal.throwIfAborted(); // a stop that came during a step that does not look at the signal
  } catch (err) {
    if (opts.signal.aborted) return stopped;
    throw err;
  }
  const expected = new Set(points.map((p) => p.id));
  const distributions = searchSpace(study.grid);
  const storage = await openStorage(dbPath);
  try {
    const existing = await storage.getStudy(study.name);
    if (existing) {
      const diff = fixedSettingsDiff(existing.systemAttrs[STUDY_ATTR.fixedSettings], study);
      if (diff.length > 0)
        throw new StorageError(
          `study "${study.name}" was created with other fixed settings, so old and new trials would not be comparable:\n` +
            diff.map((d) => `  - ${d}`).join('\n') +
            `\nUse a new study name, another --db file, or restore those settings.`,
          storage.location,
        );
    }
    // Data that differ from those the study was started with are refused before anything is written.
    const fingerprint = checkDataFingerprint(data, existing?.systemAttrs ?? null, {
      study: study.name,
      db: storage.location,
    });
    const summary = await storage.openStudy(study.name, {
      [STUDY_ATTR.fixedSettings]: fixedSettings(study) as never,
      ...(fingerprint ? { [DATA_FINGERPRINT_ATTR]: { ...fingerprint } } : {}),
    });
    // An existing study from before fingerprints: its first start records this host's.
    if (fingerprint && existing) await recordDataFingerprint(storage, summary.id, fingerprint);
    // The latest definition (axes may have grown or shrunk): status and the
    // export read it, and leave out the trials of removed points. Every change
    // is kept in `definition_history`, so a shrunk grid is never silent.
    // Stored with the password of a "storage" URL masked: attributes are read by anyone who may read the database.
    const storedStudy: Study = study.storage === undefined ? study : { ...study, storage: maskLocation(study.storage) };
    const changed = await recordDefinition(
      storage,
      summary.id,
      summary.systemAttrs,
      storedStudy,
      hash,
      (opts.now ?? (() => new Date()))(),
    );
    if (changed) say('definition_changed', `study ${study.name}: definition changed since the last start: ${changed}`);
    await storage.setStudySystemAttr(summary.id, STUDY_ATTR.definition, storedStudy as never);
    await storage.setStudySystemAttr(summary.id, STUDY_ATTR.definitionHash, hash);
    await storage.setStudySystemAttr(summary.id, STUDY_ATTR.searchSpace, distributions);
    const maxRetries = retryLimit(study);
    let queued;
    try {
      queued = await enqueueInChunks(
        storage,
        summary.id,
        points,
        distributions,
        { maxRetries, rerunPruned: opts.rerunPruned },
        opts.signal,
      );
    } catch (err) {
      // The chunks queued so far stay: the next start queues the rest.
      if (opts.signal.aborted) return stopped;
      throw err;
    }
    const foreign = Object.values(await storage.countTrials(summary.id, 'foreign')).reduce((a, b) => a + b, 0);
    say(
      'study',
      `study ${study.name}: ${points.length} grid points, ${queued.added} queued now, ${queued.present} already done or queued; ` +
        `database ${storage.location}; backend ${backend}` +
        (foreign > 0 ? `; ${foreign} trial(s) not from this grid (added from Optuna), ignored` : '') +
        (study.pruner ? (opts.rerunPruned ? '; pruner off (--rerun-pruned)' : `; pruner ${study.pruner.kind}`) : ''),
      {
        study: study.name,
        points: points.length,
        queued: queued.added,
        present: queued.present,
        db: storage.location,
        backend,
        foreign,
      },
    );
    if (queued.exhausted)
      say(
        'note',
        `${queued.exhausted} grid point(s) not queued again: they failed ${maxRetries + 1} time(s) (maxRetries ${maxRetries}; sweep status lists them)`,
      );
    if (opts.noRun) {
      const waiting = (await gridCounts(storage, summary.id))[TrialState.WAITING];
      say(
        'queued',
        `study ${study.name}: ${waiting} trial(s) waiting, none run here (--no-run); run them with: sweep worker ${study.name} --db ${storage.location}`,
        {
          waiting,
        },
      );
      return {
        completed: 0,
        failed: 0,
        pruned: 0,
        requeued: 0,
        recovered: 0,
        interrupted: false,
        dbPath: shown,
        studyName: study.name,
        queuedOnly: true,
      };
    }

    const result = await runTrials({
      storage,
      studyId: summary.id,
      study,
      data,
      backend,
      workers: opts.workers,
      cacheDir,
      distributions,
      expected,
      identity: hostIdentity(opts.hostId),
      staleSeconds: opts.staleSeconds,
      heartbeatMs: opts.heartbeatMs,
      rerunPruned: opts.rerunPruned,
      signal: opts.signal,
      write: opts.write,
      json: opts.json,
      workerFile: opts.workerFile,
      events: opts.events,
      say,
    });
    return { ...result, dbPath: shown, studyName: study.name };
  } finally {
    await storage.close();
  }
}

/**
 * Points queued in one transaction. enqueuePoints looks up only the chunk's
 * points, so a chunk's time is proportional to its size, whatever is queued
 * already: 1000 points took up to ~0.9 s on a 2-core machine under load 15
 * (bench/grid-size.ts, bench/RESULTS.md), so 500 keeps a turn, and the wait
 * for a signal to be seen, well under a second.
 */
export const ENQUEUE_CHUNK = 500;

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
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    signal.throwIfAborted();
    const q = await storage.enqueuePoints(studyId, points.slice(i, i + ENQUEUE_CHUNK), distributions, options);
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
async function recordDefinition(
  storage: Storage,
  studyId: number,
  attrs: Readonly<Record<string, unknown>>,
  study: Study,
  hash: string,
  now: Date,
): Promise<string | null> {
  const stored = attrs[STUDY_ATTR.definitionHistory];
  const storedHash = attrs[STUDY_ATTR.definitionHash];
  const history = Array.isArray(stored) ? (stored as unknown as DefinitionRecord[]) : [];
  const lastHash = history.at(-1)?.hash ?? (typeof storedHash === 'string' ? storedHash : null);
  if (lastHash === hash) return null;
  const before = attrs[STUDY_ATTR.definition] as Record<string, unknown> | undefined;
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
  await storage.setStudySystemAttr(studyId, STUDY_ATTR.definitionHistory, [...base, record] as never);
  if (!before) return null;
  const words = [...changes, ...(otherChanges.length ? [`also changed: ${otherChanges.join(', ')}`] : [])];
  const removed = changes.some((c) => c.includes(': removed '));
  return (
    (words.join('; ') || 'formatting only') +
    (removed ? ' (trials of removed points stay in the database, but are not run, counted or exported)' : '')
  );
}

export function summaryLine(r: StartResult): string {
  if (r.queuedOnly) return `sweep queued (--no-run): study ${r.studyName}, ${r.dbPath}`;
  const what = r.interrupted ? 'stopped' : 'finished';
  return (
    `sweep ${what}: ${r.completed} completed, ${r.failed} failed` +
    (r.pruned ? `, ${r.pruned} pruned` : '') +
    (r.requeued ? `, ${r.requeued} interrupted and queued again` : '') +
    (r.recovered ? `, ${r.recovered} recovered from a dead process` : '') +
    ` (study ${r.studyName}, ${r.dbPath})`
  );
}
