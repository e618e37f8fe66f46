// Runs trials in child processes, one trial at a time each (the GPU path, see
// process-host.ts). Each process gets its own environment, e.g.
// CUDA_VISIBLE_DEVICES=<gpu>. A process is started on first use and kept
// between trials (TensorFlow and the data set stay loaded); an aborted
// trial's process is killed and started afresh for the next one.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Progress, ShouldStop, TrialResult, TrialTask } from './messages.js';
import { answer, siblingModule, type TrialRunner } from './runner.js';
import { isAliveMarker, type StopQuestion } from '../training/worker-side.js';

export interface ProcessRunnerOptions {
  readonly workerFile: string | URL;
  /** One entry per process: the environment it adds (before TensorFlow loads). */
  readonly processes: readonly Record<string, string>[];
}

type FromChild =
  | { type: 'ready' }
  | { type: 'progress'; progress: Progress | { type: '__alive' } }
  | { type: 'ask'; question: StopQuestion }
  | { type: 'end' }
  | { type: 'result'; result: TrialResult }
  | { type: 'error'; error: { name?: string; message: string; stack?: string } };

class Slot {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  busy = false;

  constructor(
    private readonly workerFile: string,
    private readonly env: Record<string, string>,
  ) {}

  private start(): Promise<void> {
    const host = fileURLToPath(siblingModule(import.meta.url, './process-host.js'));
    const child = fork(host, [this.workerFile], {
      env: { ...process.env, ...this.env },
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: FromChild) => {
        if (m.type === 'ready') {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`worker process exited with code ${code} before it was ready`)));
    });
    child.once('exit', () => {
      if (this.child === child) {
        this.child = null;
        this.ready = null;
      }
    });
    return this.ready;
  }

  async run(
    task: TrialTask,
    onProgress: (p: Progress) => void,
    signal: AbortSignal,
    onAlive?: () => void,
    shouldStop?: ShouldStop,
  ): Promise<TrialResult> {
    if (signal.aborted) throw abortError();
    if (!this.child) await this.start();
    else await this.ready;
    const child = this.child!;
    return new Promise<TrialResult>((resolve, reject) => {
      let result: TrialResult | null = null;
      const cleanup = () => {
        child.off('message', onMsg);
        child.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
      };
      const onMsg = (m: FromChild) => {
        if (m.type === 'progress') {
          onAlive?.();
          if (!isAliveMarker(m.progress)) onProgress(m.progress);
        } else if (m.type === 'ask') {
          onAlive?.();
          void answer(shouldStop, m.question).then((verdict) => {
            if (child.connected) child.send({ type: 'verdict', verdict });
          });
        } else if (m.type === 'result') result = m.result;
        else if (m.type === 'end' && result) {
          cleanup();
          resolve(result);
        } else if (m.type === 'error') {
          cleanup();
          const e = new Error(m.error.message);
          e.name = m.error.name ?? 'Error';
          reject(e);
        }
      };
      const onExit = (code: number | null, sig: string | null) => {
        cleanup();
        // A stop signal reaches the whole process group (Ctrl-C, a closed
        // terminal), maybe before the sweep's own handler aborts: the trial was
        // interrupted, not failed, and goes back to WAITING.
        const stopped = sig === 'SIGINT' || sig === 'SIGTERM' || sig === 'SIGHUP';
        reject(
          signal.aborted || stopped
            ? abortError()
            : new Error(`worker process died (${sig ?? `exit code ${code}`}) during the trial`),
        );
      };
      const onAbort = () => child.kill('SIGKILL');
      child.on('message', onMsg);
      child.once('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      child.send({ type: 'run', task });
    });
  }

  close(): void {
    this.child?.kill('SIGTERM');
    this.child = null;
  }
}

function abortError(): Error {
  const e = new Error('The trial was aborted');
  e.name = 'AbortError';
  return e;
}

export function createProcessRunner(opts: ProcessRunnerOptions): TrialRunner {
  const file = opts.workerFile instanceof URL ? fileURLToPath(opts.workerFile) : opts.workerFile;
  const slots = opts.processes.map((env) => new Slot(file, env));
  const waiters: (() => void)[] = [];
  return {
    concurrency: slots.length,
    async run(task, onProgress, signal, onAlive, shouldStop) {
      let slot = slots.find((s) => !s.busy);
      while (!slot) {
        await new Promise<void>((r) => waiters.push(r));
        slot = slots.find((s) => !s.busy);
      }
      slot.busy = true;
      try {
        return await slot.run(task, onProgress, signal, onAlive, shouldStop);
      } finally {
        slot.busy = false;
        waiters.shift()?.();
      }
    },
    async close() {
      for (const s of slots) s.close();
    },
  };
}

/** GPU ids: CUDA_VISIBLE_DEVICES when set, else one per line of `nvidia-smi -L`, else none. */
export async function detectGpus(): Promise<string[]> {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined)
    return visible
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s !== '-1');
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['-L'], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve([]);
      resolve(
        stdout
          .split('\n')
          .filter((l) => /^GPU \d+/.test(l))
          .map((l) => /^GPU (\d+)/.exec(l)![1]!),
      );
    });
  });
}
