// Backend choice for one thread (main or worker): native TensorFlow (GPU, then
// CPU) when its optional package loads, else WebAssembly with our fast training
// kernels, else the pure-JS cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendError } from '../errors/index.js';
import type { BackendChoice } from '../study/schema.js';
import { ensureGradients } from './gradients.js';
import { installWasmKernels } from './wasm/kernels.js';
import { nativeKernelsLine } from './native/blas.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The backend this thread now computes with. */
  readonly name: BackendName;
  /** Why the candidates before it were skipped, one line each ("tfjs-node-gpu: not installed"). */
  readonly notes: readonly string[];
  /**
   * wasm only: what runs its convolutions and matMuls ("native GEMM: OpenBLAS
   * 0.3.21 SkylakeX", with the OpenBLAS kernels that ran, or why the native
   * addon is not used and XNNPACK does it).
   */
  readonly kernels?: string;
}

export interface InitOptions {
  /**
   * Resolve the optional native packages as if imported from this file or
   * folder path instead of from this module. For tests and unusual layouts;
   * the package is still really imported.
   */
  readonly resolveFrom?: string;
}

const AUTO_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const PACKAGE: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** The name tfjs registers each backend under (both native packages register "tensorflow"). */
const TF_BACKEND: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const FIX: Record<BackendName, string> = {
  'tensorflow-gpu':
    'install it with `npm install @tensorflow/tfjs-node-gpu` (needs CUDA 11.2 + cuDNN 8.1 libraries on the library path and network access for libtensorflow), or choose backend "wasm"',
  tensorflow:
    'install it with `npm install @tensorflow/tfjs-node` (downloads libtensorflow, needs network access), or choose backend "wasm"',
  wasm: 'reinstall dependencies (`npm ci`); the .wasm binaries ship inside @tensorflow/tfjs-backend-wasm/dist',
  cpu: 'reinstall dependencies (`npm ci`)',
};

type Attempt = { ok: true } | { ok: false; why: string };

/** The first line of an error's message: enough to recognise a missing libcudart without a stack. */
function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // The common case, said plainly: npm kept the package but its install step
  // could not download libtensorflow, so there is no native binding.
  if (/tfjs_binding\.node\) can not be found/.test(msg))
    return 'installed without its native binding (its install could not download libtensorflow; reinstall it with internet access)';
  return (msg.split('\n').find((l) => l.trim() !== '') ?? msg).trim();
}

function errCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

/** Was this error "the package itself is absent" (not one of its dependencies, not a load failure)? */
function isNotInstalled(e: unknown, pkg: string): boolean {
  const code = errCode(e);
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const msg = e instanceof Error ? e.message : '';
  return msg.includes(`'${pkg}'`) || msg.includes(`"${pkg}"`);
}

/** Imports a package for its side effects; distinguishes "not installed" from "fails to load". */
async function importPackage(pkg: string, opts: InitOptions): Promise<Attempt & { mod?: unknown }> {
  let specifier = pkg;
  if (opts.resolveFrom !== undefined) {
    // createRequire needs a file path; a folder works when it ends with a separator.
    const base = opts.resolveFrom.endsWith(sep) ? opts.resolveFrom : join(opts.resolveFrom, 'noop.js');
    try {
      specifier = pathToFileURL(createRequire(base).resolve(pkg)).href;
    } catch (e) {
      if (isNotInstalled(e, pkg)) return { ok: false, why: 'not installed' };
      return { ok: false, why: `fails to load: ${firstLine(e)}` };
    }
  }
  try {
    const mod: unknown = await import(specifier);
    return { ok: true, mod };
  } catch (e) {
    if (isNotInstalled(e, pkg)) return { ok: false, why: 'not installed' };
    return { ok: false, why: `fails to load: ${firstLine(e)}` };
  }
}

async function activate(tfName: string): Promise<Attempt> {
  if (tf.getBackend() === tfName) return { ok: true };
  if (tf.findBackendFactory(tfName) == null) return { ok: false, why: `loaded, but registered no "${tfName}" backend` };
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } catch (e) {
    return { ok: false, why: `fails to initialise: ${firstLine(e)}` };
  }
  return ok ? { ok: true } : { ok: false, why: 'fails to initialise (see the warning above)' };
}

/** Folder of the wasm binaries inside the installed package (its Node entry lives in dist/). */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep;
}

function registeredBackends(): Set<string> {
  return new Set(Object.keys((tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory));
}

/**
 * Undoes what a native package that failed half-way left behind: it registers
 * its kernels and pulls in @tensorflow/tfjs (which registers a webgl backend)
 * before its binding fails to load. Without this the next candidate prints a
 * "kernel already registered" warning per kernel, and tfjs could later pick
 * the useless webgl backend by priority.
 */
function cleanUpFailedNative(backendsBefore: Set<string>, kernelsBefore: Set<string>): void {
  if (tf.findBackendFactory('tensorflow') == null) {
    for (const k of tf.getKernelsForBackend('tensorflow')) {
      if (!kernelsBefore.has(k.kernelName)) tf.unregisterKernel(k.kernelName, 'tensorflow');
    }
  }
  for (const b of registeredBackends()) if (!backendsBefore.has(b)) tf.removeBackend(b);
}

type Listener = (...args: never[]) => void;
type Listeners = { uncaughtException: Listener[]; unhandledRejection: Listener[] };

function processListeners(): Listeners {
  const em = process as NodeJS.EventEmitter;
  return {
    uncaughtException: em.listeners('uncaughtException') as Listener[],
    unhandledRejection: em.listeners('unhandledRejection') as Listener[],
  };
}

/**
 * The emscripten runtime of tfjs-backend-wasm installs process handlers that
 * rethrow every uncaught exception and unhandled rejection from inside its
 * minified bundle, so a crash prints 20 kB of wasm glue instead of the stack
 * and the CLI's own handlers lose control. Node's defaults do the same job.
 */
function dropEmscriptenHandlers(before: Listeners): void {
  for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
    const current = (process as NodeJS.EventEmitter).listeners(ev) as Listener[];
    for (const l of current) {
      if (!before[ev].includes(l))
        (process as NodeJS.EventEmitter).removeListener(ev, l as (...args: unknown[]) => void);
    }
  }
}

async function tryBackend(name: BackendName, opts: InitOptions): Promise<Attempt> {
  const pkg = PACKAGE[name];
  const native = name === 'tensorflow' || name === 'tensorflow-gpu';
  const backendsBefore = registeredBackends();
  const listenersBefore = processListeners();
  const kernelsBefore = new Set(tf.getKernelsForBackend('tensorflow').map((k) => k.kernelName));
  // The native packages are optional; wasm and cpu are dependencies, never resolved elsewhere.
  const imported = await importPackage(pkg, native ? opts : {});
  if (!imported.ok) {
    if (native) cleanUpFailedNative(backendsBefore, kernelsBefore);
    return imported;
  }
  if (name === 'wasm') {
    const wasm = imported.mod as typeof import('@tensorflow/tfjs-backend-wasm');
    // A plain file-system folder works in Node (emscripten reads it with fs);
    // it must end with a separator because the file names are appended to it.
    wasm.setWasmPaths(wasmBinaryDir());
  }
  const active = await activate(TF_BACKEND[name]);
  if (!active.ok) {
    if (native) cleanUpFailedNative(backendsBefore, kernelsBefore);
    return active;
  }
  if (name === 'wasm') dropEmscriptenHandlers(listenersBefore);
  if (name === 'cpu') {
    // The cpu backend's one-time "install tfjs-node" banner: we chose cpu on
    // purpose and say why in the notes.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  ensureGradients();
  if (name === 'wasm') installWasmKernels();
  return { ok: true };
}

function withKernels(info: BackendInfo): BackendInfo {
  if (info.name !== 'wasm') return info;
  return { ...info, kernels: nativeKernelsLine() };
}

function unavailable(choice: BackendName, why: string): BackendError {
  return new BackendError(
    `backend "${choice}" (${PACKAGE[choice]}) ${why}. Fix: ${FIX[choice]}; or use backend "auto" to take the best one that loads.`,
  );
}

/**
 * Checks, in the calling (main) thread, that an explicitly chosen backend can
 * load, before any trial is claimed: otherwise every worker would fail every
 * trial it takes. wasm and cpu are initialised for real. The native packages
 * are imported (package present, binding and libtensorflow load) but not
 * activated: activating would create a TensorFlow context, and on a GPU take
 * device memory, in a process that trains nothing. "auto" needs no probe:
 * it falls back, down to cpu.
 */
export async function probeBackend(choice: BackendChoice, opts: InitOptions = {}): Promise<void> {
  if (choice === 'auto') return;
  if (choice === 'wasm' || choice === 'cpu') {
    await initBackend(choice, opts);
    return;
  }
  const got = await importPackage(PACKAGE[choice], opts);
  if (!got.ok) throw unavailable(choice, got.why);
}

/** Per choice (and resolveFrom): one thread keeps one answer per question. */
const cache = new Map<string, Promise<BackendInfo>>();

async function init(choice: BackendChoice, opts: InitOptions): Promise<BackendInfo> {
  if (choice !== 'auto') {
    const got = await tryBackend(choice, opts);
    if (!got.ok) throw unavailable(choice, got.why);
    return withKernels({ name: choice, notes: [] });
  }
  const notes: string[] = [];
  for (const name of AUTO_ORDER) {
    const got = await tryBackend(name, opts);
    if (got.ok) return withKernels({ name, notes });
    notes.push(`${PACKAGE[name].replace('@tensorflow/', '')}: ${got.why}`);
  }
  throw new BackendError(`no backend could be loaded:\n  ${notes.join('\n  ')}\nFix: ${FIX.wasm}`);
}

/**
 * Selects and initialises the compute backend of this thread. Idempotent: the
 * same choice returns the same info (and re-activates that backend if another
 * call switched away). An explicit choice that cannot load throws BackendError;
 * only "auto" falls back, and its notes say why.
 */
export function initBackend(choice: BackendChoice, opts: InitOptions = {}): Promise<BackendInfo> {
  if (!(AUTO_ORDER as readonly string[]).includes(choice) && choice !== 'auto') {
    return Promise.reject(
      new BackendError(`unknown backend "${String(choice)}"; choose one of auto, ${AUTO_ORDER.join(', ')}`),
    );
  }
  const key = `${choice}\0${opts.resolveFrom ?? ''}`;
  const known = cache.get(key);
  if (known) {
    return known.then(async (info) => {
      await activate(TF_BACKEND[info.name]);
      return info;
    });
  }
  const p = init(choice, opts);
  cache.set(key, p);
  // A failed attempt is not remembered: the user may install the package and retry.
  p.catch(() => cache.delete(key));
  return p;
}

/**
 * How many worker threads to run on this host for a backend. wasm and cpu
 * compute on one thread per worker (tfjs-backend-wasm has no threads in
 * Node), so one worker per core; native TensorFlow spreads one op over all
 * cores itself, so a single worker (per GPU for tensorflow-gpu) avoids
 * oversubscription.
 */
export function workersFor(name: BackendName, cores: number, gpus = 1): number {
  if (!Number.isInteger(cores) || cores < 1)
    throw new RangeError(`workersFor: cores must be a positive integer, got ${cores}`);
  if (name === 'wasm' || name === 'cpu') return cores;
  if (name === 'tensorflow-gpu') return Math.max(1, gpus);
  return 1;
}
