// Which OpenBLAS kernels (OPENBLAS_CORETYPE) the native GEMM loads with: pure
// functions of the CPU's features, the core OpenBLAS picks on its own and the
// user's own OPENBLAS_CORETYPE. IO (reading /proc/cpuinfo, asking OpenBLAS)
// lives in ./blas.ts.
//
// Why: OpenBLAS picks its kernels from a table of CPU models it knows. An
// older OpenBLAS (Debian's 0.3.21) falls back to its generic `Prescott`
// kernels on a newer model it does not know, e.g. an Intel family 6 model 207
// with AVX-512, and runs 3x slower there. Its kernels only need the
// instruction sets, so where the CPU has more than the detected core uses we
// name the core for what the CPU has. Never one whose instructions it lacks.

/** What /proc/cpuinfo says about the first CPU. */
export interface CpuInfo {
  /** "GenuineIntel", "AuthenticAMD", ... */
  readonly vendor: string;
  readonly family: number;
  readonly model: number;
  /** The kernel's flag names: "avx2", "fma", "avx512f", "avx512_bf16", ... */
  readonly flags: ReadonlySet<string>;
}

/** The first processor of /proc/cpuinfo (x86: vendor_id, cpu family, model, flags); null where it has no x86 flags. */
export function parseCpuinfo(text: string): CpuInfo | null {
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first);
    return m?.[1]?.trim();
  };
  const flags = field('flags');
  if (flags === undefined) return null;
  return {
    vendor: field('vendor_id') ?? 'unknown',
    family: Number(field('cpu family') ?? NaN),
    model: Number(field('model') ?? NaN),
    flags: new Set(flags.split(/\s+/).filter(Boolean)),
  };
}

/** Instruction-set levels of OpenBLAS's x86-64 kernels, lowest first. */
type Level = 'generic' | 'avx' | 'avx2' | 'avx512';
const LEVELS: readonly Level[] = ['generic', 'avx', 'avx2', 'avx512'];

/**
 * The level each core's kernels need (names as openblas_get_corename() gives
 * them, OpenBLAS 0.3.x). Cores missing here (newer ones) are never overridden.
 */
const CORE_LEVEL: Readonly<Record<string, Level>> = {
  SkylakeX: 'avx512',
  Cooperlake: 'avx512',
  Haswell: 'avx2',
  Zen: 'avx2',
  Excavator: 'avx2',
  Sandybridge: 'avx',
  Bulldozer: 'avx',
  Piledriver: 'avx',
  Steamroller: 'avx',
  ...Object.fromEntries(
    [
      'Unknown',
      'Katmai',
      'Coppermine',
      'Northwood',
      'Prescott',
      'Banias',
      'Atom',
      'Core2',
      'Penryn',
      'Dunnington',
      'Nehalem',
      'Athlon',
      'Opteron',
      'Opteron_SSE3',
      'Barcelona',
      'Nano',
      'Bobcat',
    ].map((c) => [c, 'generic' as Level]),
  ),
};

/** The flags each level's kernels use (the kernel clears AVX-512 flags where the OS does not save its state). */
const NEEDS: Readonly<Record<Level, readonly string[]>> = {
  generic: [],
  avx: ['avx'],
  avx2: ['avx', 'avx2', 'fma'],
  avx512: ['avx', 'avx2', 'fma', 'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'],
};

const LEVEL_NAME: Readonly<Record<Level, string>> = { generic: 'SSE', avx: 'AVX', avx2: 'AVX2+FMA', avx512: 'AVX-512' };

/** The highest kernel level the CPU's flags support. */
export function cpuLevel(cpu: CpuInfo): Level {
  let best: Level = 'generic';
  for (const l of LEVELS) if (NEEDS[l].every((f) => cpu.flags.has(f))) best = l;
  return best;
}

/** The core OpenBLAS's own table would give a CPU with these features, at its best level; null at the generic level. */
export function coreForCpu(cpu: CpuInfo): string | null {
  switch (cpuLevel(cpu)) {
    case 'avx512':
      return cpu.flags.has('avx512_bf16') ? 'Cooperlake' : 'SkylakeX';
    case 'avx2':
      return cpu.vendor === 'AuthenticAMD' || cpu.vendor === 'HygonGenuine' ? 'Zen' : 'Haswell';
    case 'avx':
      return 'Sandybridge';
    case 'generic':
      return null;
  }
}

export interface CoreInput {
  /** The CPU (from /proc/cpuinfo); null where unknown (not Linux, not x86). */
  readonly cpu: CpuInfo | null;
  /** The core OpenBLAS picks with no OPENBLAS_CORETYPE set; null where that could not be learnt. */
  readonly detected: string | null;
  /** The user's own OPENBLAS_CORETYPE, if set. */
  readonly user: string | undefined;
}

export interface CoreChoice {
  /** The core expected to run; null where OpenBLAS decides and we could not ask it. */
  readonly core: string | null;
  /** OPENBLAS_CORETYPE to load OpenBLAS with, or null to leave OpenBLAS to its own choice. */
  readonly force: string | null;
  /** Why, for logs and the trial's kernels line; '' where OpenBLAS's own choice stands. */
  readonly why: string;
}

/** Whether the CPU is worth asking OpenBLAS about: false where no override could ever be chosen. */
export function couldOverride(input: Omit<CoreInput, 'detected'>): boolean {
  return !input.user && input.cpu !== null && coreForCpu(input.cpu) !== null;
}

/**
 * The OpenBLAS core to load. The user's OPENBLAS_CORETYPE always wins.
 * Otherwise OpenBLAS's own choice stands unless its kernels use a lower
 * instruction-set level than the CPU has (the fallback of an OpenBLAS that
 * does not know the model); then the core for the CPU's best level.
 */
export function chooseCore(input: CoreInput): CoreChoice {
  const { cpu, detected, user } = input;
  if (user) return { core: user, force: user, why: 'from your OPENBLAS_CORETYPE' };
  const own = { core: detected, force: null, why: '' };
  if (!cpu || !detected) return own;
  const want = coreForCpu(cpu);
  const has = CORE_LEVEL[detected];
  if (!want || !has) return own;
  const level = cpuLevel(cpu);
  if (LEVELS.indexOf(has) >= LEVELS.indexOf(level)) return own;
  return {
    core: want,
    force: want,
    why: `chosen for ${LEVEL_NAME[level]} on ${cpu.vendor} family ${cpu.family} model ${cpu.model} (OpenBLAS alone: ${detected})`,
  };
}

/** What the loaded OpenBLAS reports, as the addon's state() gives it. */
export interface LoadedCore {
  /** openblas_get_corename(): "SkylakeX". */
  readonly core: string;
  /** openblas_get_config(): "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...". */
  readonly config: string;
  /** The OPENBLAS_CORETYPE it was loaded with ('' for none). */
  readonly asked: string;
  /** Why (chooseCore's `why`). */
  readonly note: string;
}

/**
 * The kernels line: "OpenBLAS 0.3.21 SkylakeX", then why where we or the user
 * chose, and what was asked for where a different core ran (OpenBLAS was
 * already loaded, or is not a DYNAMIC_ARCH build).
 */
export function describeCore(s: LoadedCore): string {
  const version = s.config.split(' ').slice(0, 2).join(' ');
  const asked = s.asked && s.asked.toLowerCase() !== s.core.toLowerCase() ? ` (asked for ${s.asked})` : '';
  return `${version} ${s.core}${s.note ? `, ${s.note}` : ''}${asked}`;
}
