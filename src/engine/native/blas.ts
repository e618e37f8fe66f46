// Loads the optional native GEMM addon (native/iae_blas.c, built at install
// by node-gyp from binding.gyp, through scripts/build-native.mjs). The wasm backend's
// convolutions and matMuls run on it when it loads; without it they stay on
// XNNPACK (our kernels in ../wasm). Nothing else depends on it.
//
// OpenBLAS itself is loaded by the addon's init() (see native/iae_blas.c),
// once per process, with the kernels ./coretype.ts chooses: the first thread
// to load the addon decides for all, and every later thread reads the same
// core and reason back from the addon.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseCore, couldOverride, describeCore, parseCpuinfo, type CpuInfo, type LoadedCore } from './coretype.js';

/** The addon's functions; offsets and lengths count floats in the given heap. */
export interface NativeBlas {
  /** C = op(A) op(B) (+ C when accumulate is 1), row-major, `batch` times with the given strides. */
  gemm(
    heap: ArrayBuffer,
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    aOff: number,
    lda: number,
    bOff: number,
    ldb: number,
    cOff: number,
    ldc: number,
    accumulate: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void;
  /** mode 0: y = conv(x, W); 1: dW from x, dy; 2: dx from dy, W. Dims as Conv2DInfo, NHWC, W [kh,kw,ci,co]. */
  conv(heap: ArrayBuffer, mode: number, inOff: number, otherOff: number, outOff: number, ...dims: number[]): void;
  /**
   * Loads OpenBLAS (libPath, or the one found at build time) with
   * OPENBLAS_CORETYPE=coretype (null: none), once per process; `note` says
   * why. Later calls, from any thread, return what the first one loaded.
   */
  init(coretype: string | null, note: string, libPath: string | null): LoadedCore & { readonly path: string };
  /** What init() loaded, or null before it. */
  state(): (LoadedCore & { readonly path: string }) | null;
}

/** Where node-gyp puts binding.gyp's target (a Release build). */
export const ADDON_RELATIVE = join('build', 'Release', 'iae_blas.node');

/** The project root: the nearest folder above this file with our package.json (src/ under tsx, dist/src/ when built). */
function projectRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'iae-sweep') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export type NativeStatus =
  { readonly blas: NativeBlas; readonly why: string } | { readonly blas: null; readonly why: string };

let loaded: NativeStatus | undefined;

/** Loads the addon once per thread. `why` says what it is, or why it is not used. */
export function loadNativeBlas(): NativeStatus {
  if (loaded) return loaded;
  const root = projectRoot();
  const file = root ? join(root, ADDON_RELATIVE) : null;
  if (!file || !existsSync(file)) {
    loaded = {
      blas: null,
      why: `native GEMM not built (${ADDON_RELATIVE} missing; run \`npm run build:native\`, which needs libopenblas-dev and a C compiler)`,
    };
  } else {
    try {
      const blas = createRequire(import.meta.url)(file) as NativeBlas;
      const state = blas.state() ?? initOpenBlas(blas, file);
      loaded = { blas, why: `native GEMM: ${describeCore(state)}` };
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
      const fix = msg.includes('cannot load OpenBLAS')
        ? 'install OpenBLAS (Debian: libopenblas0) or set IAE_OPENBLAS_LIB to a libopenblas'
        : 'rebuild it with `npm run build:native`';
      loaded = { blas: null, why: `native GEMM fails to load (${msg}); ${fix}` };
    }
  }
  return loaded;
}

/** The first CPU of /proc/cpuinfo; null where there is none (not Linux) or it is not x86. */
export function readCpu(): CpuInfo | null {
  try {
    return parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The core OpenBLAS picks on its own here: a short child process loads it
 * with no OPENBLAS_CORETYPE and asks. (In this process the choice can be made
 * only once, before the library loads.) One Node start-up (0.1-0.4 s here),
 * once per process, and only where an override could be chosen at all.
 */
export function probeOwnCore(addon: string, lib: string | null): { core: string | null; error: string } {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['NODE_OPTIONS'];
  const code = `process.stdout.write(require(${JSON.stringify(addon)}).init(null, 'probe', ${JSON.stringify(lib)}).core)`;
  const r = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0 && r.stdout) return { core: r.stdout.trim(), error: '' };
  const why = r.error?.message || r.stderr.trim() || `it exited with ${r.status ?? r.signal}`;
  // One line, short: it becomes part of every trial's kernels attribute (and the addon keeps at most 511 bytes of it).
  return { core: null, error: why.split('\n')[0]!.slice(0, 200) };
}

/** Loads OpenBLAS in this process, with the kernels chooseCore() picks (see ./coretype.ts). */
function initOpenBlas(blas: NativeBlas, addon: string): LoadedCore {
  const lib = process.env['IAE_OPENBLAS_LIB'] || null;
  const input = { cpu: readCpu(), user: process.env['OPENBLAS_CORETYPE'] || undefined };
  const probe = couldOverride(input) ? probeOwnCore(addon, lib) : { core: null, error: '' };
  const choice = chooseCore({ ...input, detected: probe.core });
  const note = probe.error ? `OpenBLAS's own choice (could not ask it which core: ${probe.error})` : choice.why;
  return blas.init(choice.force, note, lib);
}

const switchedOff = () => process.env['IAE_NATIVE'] === '0';

/** The addon when it loaded and is not switched off (IAE_NATIVE=0, read per call so tests can compare both paths). */
export function nativeBlas(): NativeBlas | null {
  return switchedOff() ? null : loadNativeBlas().blas;
}

/** What computes the wasm backend's convolutions and matMuls, for logs and trial attributes. */
export function nativeKernelsLine(): string {
  const native = loadNativeBlas();
  if (!native.blas) return `XNNPACK; ${native.why}`;
  return switchedOff() ? 'XNNPACK; native GEMM switched off (IAE_NATIVE=0)' : native.why;
}
