// `sweep worker <study> --gpus 0,1`: one worker process per GPU. Native
// TensorFlow reads CUDA_VISIBLE_DEVICES once per process and must not share
// a GPU between threads, so each GPU gets a child `sweep worker` of its own,
// with CUDA_VISIBLE_DEVICES set to that GPU and one worker. The parent
// forwards stop signals to them and exits with the worst child's code.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { UserInputError } from '../../../errors/index.js';
import type { WorkerOptions } from './index.js';

/** How to start this CLI again (src/cli/index.ts passes its own). */
export interface CliEntry {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly script: string;
}

export interface GpuWorkersOptions extends Omit<WorkerOptions, 'workers' | 'workerFile' | 'heartbeatMs'> {
  readonly gpus: readonly string[];
  readonly entry: CliEntry;
  readonly env?: NodeJS.ProcessEnv;
}

export interface GpuChildExit {
  readonly gpu: string;
  readonly pid: number | undefined;
  readonly code: number;
}

/** "0,1" -> ["0", "1"]; ids are CUDA's (digits, or GPU-/MIG- UUIDs), each once. */
export function parseGpus(v: string): string[] {
  const ids = v.split(',').map((s) => s.trim());
  const bad = ids.find((s) => !/^(\d+|(GPU|MIG)-[A-Za-z0-9/-]+)$/.test(s));
  if (ids.length === 0 || bad !== undefined)
    throw new UserInputError(`expected GPU ids separated by commas, like 0,1 (got "${v}")`, '--gpus');
  if (new Set(ids).size !== ids.length)
    throw new UserInputError(`a GPU is named twice in "${v}": one worker process per GPU`, '--gpus');
  return ids;
}

/** The child's arguments: the same worker, one worker, no --gpus. */
export function childArgs(o: GpuWorkersOptions): string[] {
  const a = ['worker', o.target, '--workers', '1'];
  if (o.db !== undefined) a.push('--db', o.db);
  if (o.backend !== undefined) a.push('--backend', o.backend);
  if (o.cacheDir === null) a.push('--no-cache');
  else if (o.cacheDir !== undefined) a.push('--cache-dir', o.cacheDir);
  if (o.staleSeconds !== undefined) a.push('--stale-after', String(o.staleSeconds));
  if (o.hostId !== undefined) a.push('--host-id', o.hostId);
  if (o.json) a.push('--json');
  return a;
}

/**
 * Severity of an exit code, for "the worst child": success, then trials
 * failed (3), then everything else by its code (1 error, 2 bad input, 70 a
 * bug, 128 + n a signal).
 */
function severity(code: number): number {
  return code === 0 ? 0 : code === 3 ? 1 : 1 + code;
}

export function worstCode(codes: readonly number[]): number {
  return codes.reduce((w, c) => (severity(c) > severity(w) ? c : w), 0);
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

export async function runGpuWorkers(o: GpuWorkersOptions): Promise<{ code: number; children: GpuChildExit[] }> {
  const children: { gpu: string; child: ChildProcess; exit: Promise<number> }[] = o.gpus.map((gpu) => {
    const child = spawn(o.entry.execPath, [...o.entry.execArgv, o.entry.script, ...childArgs(o)], {
      env: { ...(o.env ?? process.env), CUDA_VISIBLE_DEVICES: gpu, TF_FORCE_GPU_ALLOW_GROWTH: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Plain lines say which GPU they come from; JSON lines stay one object each.
    const prefix = o.json ? '' : `[gpu ${gpu}] `;
    createInterface({ input: child.stdout! }).on('line', (l) => o.write(prefix + l));
    createInterface({ input: child.stderr! }).on('line', (l) => process.stderr.write(`[gpu ${gpu}] ${l}\n`));
    const exit = new Promise<number>((resolve) => {
      child.once('error', (err) => {
        process.stderr.write(`[gpu ${gpu}] could not start: ${err.message}\n`);
        resolve(1);
      });
      child.once('close', (code, sig) => resolve(code ?? 128 + (sig ? (SIGNAL_NUMBERS[sig] ?? 0) : 0)));
    });
    return { gpu, child, exit };
  });
  o.write(
    o.json
      ? JSON.stringify({
          event: 'gpus',
          time: new Date().toISOString(),
          gpus: o.gpus,
          pids: children.map((c) => c.child.pid ?? null),
        })
      : `one worker process per GPU: ${children.map((c) => `gpu ${c.gpu} pid ${c.child.pid}`).join(', ')}`,
  );
  // The first stop signal goes to every child, which stops cleanly (its trials back to WAITING).
  const stopSignal = () =>
    ((o.signal.reason as { signalName?: string } | undefined)?.signalName ?? 'SIGTERM') as NodeJS.Signals;
  const signalAll = (sig: NodeJS.Signals) => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill(sig);
  };
  const forward = () => signalAll(stopSignal());
  // A second signal makes the CLI exit at once (src/cli/index.ts): the children get it too, and quit at once as well.
  const onExit = () => signalAll(o.signal.aborted ? stopSignal() : 'SIGTERM');
  process.once('exit', onExit);
  if (o.signal.aborted) forward();
  else o.signal.addEventListener('abort', forward, { once: true });
  try {
    const codes = await Promise.all(children.map((c) => c.exit));
    const exits = children.map((c, i) => ({ gpu: c.gpu, pid: c.child.pid, code: codes[i]! }));
    const code = worstCode(codes);
    o.write(
      o.json
        ? JSON.stringify({ event: 'gpus_done', time: new Date().toISOString(), children: exits, code })
        : `GPU workers done: ${exits.map((e) => `gpu ${e.gpu} (pid ${e.pid}) exit ${e.code}`).join(', ')}; exit ${code}`,
    );
    return { code, children: exits };
  } finally {
    o.signal.removeEventListener('abort', forward);
    process.off('exit', onExit);
  }
}
