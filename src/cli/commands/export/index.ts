// `sweep export`: the paper's tables and figures from a study's database.
// Opens the database read-only (a reader in WAL mode never blocks, and is
// never blocked by, a running sweep) and writes only under outDir.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { fsReason, makeDirs } from '../../../fs/mkdirs.js';
import { BackendError, DatasetError, StorageError, SweepError, UserInputError } from '../../../errors/index.js';
import { dirname, join, resolve } from 'node:path';
import type { Score } from '../../../study/schema.js';
import { projectVersion } from '../../version.js';
export { projectVersion };
import { svgToPng, type HeatScale, type Selection } from '../../../report/index.js';
import type { ExportFile, ExportFormat, ExportJob } from './compute.js';
import type { WorkerAnswer, WorkerFailure } from './worker.js';
export type { ExportFormat };

export interface ExportOptions {
  /** SQLite file of the study. */
  readonly db: string;
  /** Study name in that database. */
  readonly study: string;
  readonly outDir: string;
  readonly formats: readonly ExportFormat[];
  /**
   * One selection; when absent the export writes the oracle and the median
   * selection side by side (and the default point's, when the study names one),
   * so the paper-style oracle numbers never stand alone.
   */
  readonly select?: Selection;
  readonly score?: Score;
  readonly compare?: 'paper';
  /** SVG figures (and PNG where @resvg/resvg-js loads); default true. */
  readonly figures?: boolean;
  /** The heatmaps' colour scale (figures.ts); default the grid's own range. */
  readonly heatScale?: HeatScale;
  /** Also rasterise figures to PNG when possible; default true. */
  readonly png?: boolean;
  /** Project version; default: this package's package.json. */
  readonly version?: string;
  /** Git commit of the checkout; null or absent when unknown. */
  readonly commit?: string | null;
  /** Date stamped in the provenance; default now. */
  readonly now?: Date;
  /** Called as each file is written (the CLI lists them as they come, so a stopped export shows how far it got). */
  readonly onFile?: (path: string) => void;
  /** Stops the export (the computation, or between files); it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface ExportResult {
  /** Every file written, in writing order. */
  readonly files: string[];
  /** True when figures were asked for and PNG could not be made (SVG only). */
  readonly pngUnavailable: boolean;
}

/** The worker's module beside this one: .ts when run from source (tsx), .js when built. */
const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** A worker's error as the class it was thrown as, so the CLI gives it the same message and exit code. */
function revive(f: WorkerFailure): Error {
  const classes: Record<string, new (message: string) => UserInputError> = { DatasetError, StorageError, BackendError };
  const Cls = classes[f.name] ?? (f.exitCode === 2 ? UserInputError : undefined);
  const err = Cls ? new Cls(f.message) : f.exitCode !== undefined ? new SweepError(f.message) : new Error(f.message);
  err.name = f.name;
  if (f.stack) err.stack = f.stack;
  return err;
}

/**
 * The export's files, computed in a worker thread: reading a big study and
 * building its models is seconds of synchronous work, and on the main thread
 * it would hold back a signal until the end. A stop terminates the worker and
 * rejects with the signal's reason at once.
 */
async function computeInWorker(job: ExportJob, signal?: AbortSignal): Promise<ExportFile[]> {
  signal?.throwIfAborted();
  const pool = new Piscina({
    filename: fileURLToPath(WORKER_URL),
    minThreads: 1,
    maxThreads: 1,
    // The worker inherits the loader (tsx) the main thread was started with.
    execArgv: process.execArgv,
  });
  try {
    const answer = (await pool.run(job, signal ? { signal } : {})) as WorkerAnswer;
    if (!answer.ok) throw revive(answer.failure);
    return answer.files;
  } catch (err) {
    // Piscina's own AbortError for a stop: the contract is the signal's reason, as is.
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    void pool.destroy();
  }
}

export async function runExport(opts: ExportOptions): Promise<ExportResult> {
  const { signal } = opts;
  const job: ExportJob = {
    db: opts.db,
    study: opts.study,
    formats: opts.formats,
    select: opts.select,
    score: opts.score,
    compare: opts.compare,
    figures: opts.figures ?? true,
    heatScale: opts.heatScale,
    meta: {
      version: opts.version ?? projectVersion(),
      commit: opts.commit ?? null,
      generatedAt: (opts.now ?? new Date()).toISOString(),
    },
  };
  const computed = await computeInWorker(job, signal);

  const files: string[] = [];
  // A bad --out (a file in the path, no permission, /proc) is the user's to
  // fix: a typed error naming the path, exit 2, not an internal error.
  const outError = (e: unknown, path: string) =>
    new UserInputError(`cannot write the export to ${path}: ${fsReason(e)}; choose another --out folder`, '--out', {
      cause: e,
    });
  try {
    makeDirs(opts.outDir);
  } catch (e) {
    throw outError(e, opts.outDir);
  }
  // Each file goes to a temporary name and is renamed into place: a stop (or a
  // kill) between or during writes leaves whole files only, never a cut one.
  const write = (name: string, data: string | Uint8Array) => {
    const path = join(opts.outDir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      makeDirs(dirname(path));
      writeFileSync(tmp, data);
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw outError(e, path);
    }
    files.push(path);
    opts.onFile?.(path);
  };

  let pngUnavailable = false;
  for (const f of computed) {
    // A turn of the event loop between files (a figure's PNG is synchronous work): a stop lands here.
    await new Promise((r) => setImmediate(r));
    signal?.throwIfAborted();
    write(f.name, f.data);
    if (f.figure && (opts.png ?? true)) {
      const png = pngUnavailable ? null : await svgToPng(f.data);
      if (png) write(f.name.replace(/\.svg$/, '.png'), png);
      else pngUnavailable = true;
    }
  }
  return { files: files.map((f) => resolve(f)), pngUnavailable };
}
