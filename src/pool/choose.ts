// Threads or processes. wasm and cpu backends run in worker threads (wasm is
// single-threaded in Node, so parallelism is more threads). Native
// TensorFlow (tfjs-node, tfjs-node-gpu) runs one process per worker: it is
// unreliable in a second worker thread of a process (tfjs issue 8388), and
// CUDA_VISIBLE_DEVICES is read once per process, so each GPU gets its own.
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { BackendChoice } from '../study/schema.js';
import { createPiscinaRunner, type TrialRunner } from './runner.js';
import { createProcessRunner, detectGpus } from './process-runner.js';

/**
 * Whether a native TensorFlow package is installed with its binding. Without
 * internet access to libtensorflow, npm leaves the package folder but no
 * `lib/napi-v*\/tfjs_binding.node`: that install cannot load, so it must not
 * turn the sweep into worker processes.
 */
export function nativeInstalled(pkg: string): boolean {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    return false;
  }
  const lib = join(dir, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(join(lib, d, 'tfjs_binding.node')));
}

export interface RunnerPlan {
  readonly kind: 'threads' | 'processes';
  /** One environment per process (processes only). */
  readonly processes: readonly Record<string, string>[];
  readonly workers: number;
  readonly why: string;
}

/** Pure given its inputs: which runner a backend choice gets. */
export function planRunner(
  backend: BackendChoice,
  asked: number | undefined,
  installed: { gpu: boolean; node: boolean },
  gpus: readonly string[],
  cores = availableParallelism(),
): RunnerPlan {
  const native =
    backend === 'tensorflow-gpu' ||
    backend === 'tensorflow' ||
    (backend === 'auto' && (installed.gpu || installed.node));
  if (!native) {
    const workers = asked ?? cores;
    return {
      kind: 'threads',
      processes: [],
      workers,
      why: `${workers} worker thread(s)${asked ? '' : ' (one per core)'}`,
    };
  }
  const gpu = backend === 'tensorflow-gpu' || (backend === 'auto' && installed.gpu);
  if (gpu && gpus.length > 0) {
    // One process per GPU; asking for fewer workers uses the first ones.
    const used = gpus.slice(0, asked ?? gpus.length);
    return {
      kind: 'processes',
      processes: used.map((id) => ({ CUDA_VISIBLE_DEVICES: id, TF_FORCE_GPU_ALLOW_GROWTH: 'true' })),
      workers: used.length,
      why: `one worker process per GPU (${used.join(', ')})`,
    };
  }
  // Native TensorFlow spreads one op over every core: one process unless asked.
  const workers = asked ?? 1;
  return {
    kind: 'processes',
    processes: Array.from({ length: workers }, () => ({})),
    workers,
    why: `${workers} worker process(es) for native TensorFlow`,
  };
}

/** `workerData` reaches worker threads only (processes load their own data, from the disk cache). */
export async function chooseRunner(
  backend: BackendChoice,
  workers: number | undefined,
  workerFile: string | URL,
  workerData?: unknown,
): Promise<{ runner: TrialRunner; plan: RunnerPlan }> {
  const installed = {
    gpu: nativeInstalled('@tensorflow/tfjs-node-gpu'),
    node: nativeInstalled('@tensorflow/tfjs-node'),
  };
  const gpus = backend === 'tensorflow-gpu' || (backend === 'auto' && installed.gpu) ? await detectGpus() : [];
  const plan = planRunner(backend, workers, installed, gpus);
  const runner =
    plan.kind === 'threads'
      ? createPiscinaRunner({ workerFile, threads: plan.workers, workerData })
      : createProcessRunner({ workerFile, processes: plan.processes });
  return { runner, plan };
}
