// Runs trials on a Piscina pool of worker threads. The worker file is a
// parameter: the training worker in production, a trivial one in the
// scheduler benchmark. Progress comes back over a MessagePort transferred
// with each task (Piscina's pattern), so the result promise stays the only
// return path and progress never blocks the pool's own channel.
import { MessageChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Progress, ShouldStop, TrialResult, TrialTask } from './messages.js';
import {
  isAliveMarker,
  isEndMarker,
  isStopQuestion,
  type ALIVE_MARKER,
  type END_MARKER,
  type StopQuestion,
  type StopVerdict,
} from '../training/worker-side.js';

export interface TrialRunner {
  /** How many trials can run at once. */
  readonly concurrency: number;
  /**
   * Runs one trial. Rejects with the trial's error, or an AbortError when
   * `signal` aborts (a running trial's worker is then stopped and replaced,
   * even one stuck in a synchronous loop). `onAlive` is called on every sign
   * of life from the worker's own thread (progress included).
   * `shouldStop` answers the trial's question after a scored joint epoch
   * (the pruner); without it the answer is "go on". A trial told to stop
   * resolves with `stoppedAt` set, and its worker stays for the next trial.
   */
  run(
    task: TrialTask,
    onProgress: (p: Progress) => void,
    signal: AbortSignal,
    onAlive?: () => void,
    shouldStop?: ShouldStop,
  ): Promise<TrialResult>;
  close(): Promise<void>;
}

/** What a worker function receives: the task and the port to report progress on. */
export interface WorkerInput {
  readonly task: TrialTask;
  readonly port: import('node:worker_threads').MessagePort;
}

export interface PoolOptions {
  /** Worker module (file path or file: URL) whose default export handles a WorkerInput. */
  readonly workerFile: string | URL;
  readonly threads: number;
  /** Passed to every worker thread (e.g. shared data sets). */
  readonly workerData?: unknown;
  /** Extra environment for the workers (process-wide settings must be set before TF loads). */
  readonly env?: Record<string, string>;
}

/** The worker file next to a module, as .ts under tsx (tests, dev) and .js when compiled. */
export function siblingModule(importMetaUrl: string, relative: string): URL {
  const ext = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(relative.replace(/\.js$/, ext), importMetaUrl);
}

export function createPiscinaRunner(opts: PoolOptions): TrialRunner {
  const filename = opts.workerFile instanceof URL ? fileURLToPath(opts.workerFile) : opts.workerFile;
  const pool = new Piscina({
    filename,
    minThreads: opts.threads,
    maxThreads: opts.threads,
    // Keep workers (their TensorFlow.js backend and cached data set) alive
    // between trials; Piscina's default would tear them down when idle.
    idleTimeout: 2 ** 31 - 1,
    workerData: opts.workerData,
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
    // Workers inherit the loader (tsx) the main thread was started with.
    execArgv: process.execArgv,
  });
  return {
    concurrency: opts.threads,
    async run(task, onProgress, signal, onAlive, shouldStop) {
      const { port1, port2 } = new MessageChannel();
      // The port and the result travel on different channels: wait for the
      // worker's end marker so the last epochs' progress is never dropped.
      let ended!: () => void;
      const end = new Promise<void>((resolve) => (ended = resolve));
      port1.on('message', (m: Progress | typeof END_MARKER | typeof ALIVE_MARKER | StopQuestion) => {
        if (isEndMarker(m)) return ended();
        onAlive?.();
        if (isStopQuestion(m)) {
          void answer(shouldStop, m).then((v) => port1.postMessage(v));
          return;
        }
        if (!isAliveMarker(m)) onProgress(m);
      });
      try {
        const result = (await pool.run({ task, port: port2 }, { transferList: [port2], signal })) as TrialResult;
        await Promise.race([end, new Promise((r) => setTimeout(r, 2000).unref())]);
        return result;
      } finally {
        port1.close();
      }
    },
    async close() {
      await pool.destroy();
    },
  };
}

/**
 * The verdict on a trial's StopQuestion. A failing `shouldStop` (the pruner
 * could not read the database) must not leave the trial waiting: it goes on.
 */
export async function answer(shouldStop: ShouldStop | undefined, q: StopQuestion): Promise<StopVerdict> {
  let stop = false;
  try {
    stop = shouldStop ? await shouldStop(q.epoch) : false;
  } catch {
    stop = false;
  }
  return { type: '__verdict', epoch: q.epoch, stop };
}
