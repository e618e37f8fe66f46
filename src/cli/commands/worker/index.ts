// `sweep worker <study>`: joins a study queued elsewhere (`sweep start
// --no-run`, or a start on another host) and runs its WAITING trials until
// none waits and none runs on any host (meanwhile it watches the others'
// trials and takes over one whose host died), with the same runner,
// scheduler, heartbeats and clean stop as `start` (../start/run.ts). It
// needs no study file: the definition comes from the study's system
// attribute `definition`, which start writes. It never
// queues grid points (dead-trial recovery re-queues a point, as start does).
import { probeBackend } from '../../../engine/backend.js';
import { expandGridAsync, searchSpace } from '../../../grid/expand.js';
import { StorageError } from '../../../errors/index.js';
import { readStudyDefinition } from '../../../report/index.js';
import { hostIdentity } from '../../../scheduler/host.js';
import { maskLocation, openStorage } from '../../../storage/index.js';
import type { Storage, StudySummary } from '../../../storage/storage.js';
import type { BackendChoice, Study } from '../../../study/schema.js';
import { TrialState } from '../../../trial/state.js';
import { requireDb, resolveTarget } from '../../target.js';
import type { StartResult } from '../start/index.js';
import { loadStudyData } from '../start/study-data.js';
import { checkDataFingerprint, recordDataFingerprint } from '../start/data-fingerprint.js';
import { gridCounts, runTrials, sayer, stoppedBeforeRun } from '../start/run.js';

export interface WorkerOptions {
  /** The study's name (or a study file, for its name and storage). */
  readonly target: string;
  /** The database (a SQLite path; --db or --storage). Default: db/<name>.sqlite3. */
  readonly db?: string;
  readonly workers?: number;
  readonly backend?: BackendChoice;
  /** Folder for caches (decoded data in data/, pretrained weights in pretrain/); null disables them. Default .cache */
  readonly cacheDir?: string | null;
  readonly staleSeconds?: number;
  readonly heartbeatMs?: number;
  /** This host's id in the trials' system attributes (default os.hostname()). */
  readonly hostId?: string;
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
  readonly json?: boolean;
  /** A different worker module (tests, benchmarks). */
  readonly workerFile?: string | URL;
}

export async function runWorker(opts: WorkerOptions): Promise<StartResult> {
  const say = sayer(opts.write, opts.json);
  const target = resolveTarget(opts.target, opts.db);
  const dbPath = target.dbPath;
  // What results and messages show: a URL's password masked.
  const shown = maskLocation(dbPath);
  // A missing file is refused, not created empty: a worker only joins.
  requireDb(target);
  const storage = await openStorage(dbPath);
  try {
    const summary = await findStudy(storage, target.name);
    const study = storedDefinition(summary, storage.location);
    const backend = opts.backend ?? study.backend;
    const cacheDir = opts.cacheDir === undefined ? '.cache' : opts.cacheDir;
    const stopped: StartResult = stoppedBeforeRun(shown, study.name);
    // As start: a backend that cannot load is refused before a trial is claimed.
    await probeBackend(backend);
    say('loading', `study ${study.name}: loading data set ${study.dataset.name}`, { dataset: study.dataset.name });
    // As start: data this host lacks, or an arch they do not fit, are refused before a trial is claimed.
    let loaded: Awaited<ReturnType<typeof loadStudyData>>;
    try {
      loaded = await loadStudyData(study, {
        cacheDir,
        signal: opts.signal,
        studyFile: `${storage.location} (study "${study.name}", stored definition)`,
      });
    } catch (err) {
      if (opts.signal.aborted) return stopped;
      throw err;
    }
    if (loaded === null) return stopped;
    const { data } = loaded;
    // This host's data must be the study's; a study from before fingerprints gets this host's.
    const fingerprint = checkDataFingerprint(data, summary.systemAttrs, { study: study.name, db: storage.location });
    if (fingerprint) await recordDataFingerprint(storage, summary.id, fingerprint);
    // Chunked (a 10^5-point grid takes seconds): a signal meanwhile is heard.
    let expected: Set<string>;
    try {
      expected = new Set((await expandGridAsync(study.grid, opts.signal)).map((p) => p.id));
    } catch (err) {
      if (opts.signal.aborted) return stopped;
      throw err;
    }
    const waiting = (await gridCounts(storage, summary.id))[TrialState.WAITING];
    say(
      'study',
      `study ${study.name}: joined (${expected.size} grid points, ${waiting} trial(s) waiting); database ${storage.location}; backend ${backend}`,
      {
        study: study.name,
        points: expected.size,
        waiting,
        db: storage.location,
        backend,
      },
    );
    const result = await runTrials({
      storage,
      studyId: summary.id,
      study,
      data,
      backend,
      workers: opts.workers,
      cacheDir,
      distributions: searchSpace(study.grid),
      expected,
      identity: hostIdentity(opts.hostId),
      staleSeconds: opts.staleSeconds,
      heartbeatMs: opts.heartbeatMs,
      // The definition in force is the stored one: a worker never turns the pruner off (start --rerun-pruned does).
      rerunPruned: false,
      signal: opts.signal,
      write: opts.write,
      json: opts.json,
      workerFile: opts.workerFile,
      say,
    });
    return { ...result, dbPath: shown, studyName: study.name };
  } finally {
    await storage.close();
  }
}

/** The study of that name, or an error naming it, the database and the studies it has. */
async function findStudy(storage: Storage, name: string): Promise<StudySummary> {
  const study = await storage.getStudy(name);
  if (study) return study;
  const names = (await storage.listStudies()).map((s) => s.name);
  const dbPath = storage.location;
  throw new StorageError(
    `no study "${name}" in this database (it has: ${names.join(', ') || 'none'}); queue it first with \`sweep start <study file> --db ${dbPath} --no-run\``,
    dbPath,
  );
}

/** The definition `start` stored (system attribute `definition`), validated as a study file. */
function storedDefinition(summary: StudySummary, dbPath: string): Study {
  const study = readStudyDefinition(summary.systemAttrs);
  if (!study)
    throw new StorageError(
      `study "${summary.name}" has no valid stored definition (system attribute "definition"), so a worker cannot know its grid; ` +
        `run \`sweep start <study file> --db ${dbPath} --no-run\` once with this version to store it`,
      dbPath,
    );
  return study;
}
