// Shared by the storage tests, and by the benches and fixtures that build big
// studies: temp folders, grid points, paper-sized histories, child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gridPointId, type GridPoint, type ParamValue, type TrialParams } from '../../src/grid/expand.js';
import type { JsonValue } from '../../src/storage/storage.js';

export function tempDir(prefix = 'iae-storage-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Choices per axis, in grid order: strings and numbers, as a real grid has. */
/**
 * The loss history a paper-sized trial stores (200 pretraining + 20 joint
 * epochs, full-precision losses): what makes a stored trial tens of kB, for
 * the benches and tests that read studies of thousands of them.
 */
export function paperLossHistory(): JsonValue[] {
  return Array.from({ length: 220 }, (_, i) => ({
    phase: i < 200 ? 'pretrain' : 'joint',
    epoch: i < 200 ? i + 1 : i - 199,
    total: 0.1234567,
    svdd: 0.0512345,
    rec: 0.0498765,
    kl: 0.0012345,
  }));
}

export const DISTRIBUTIONS: Record<string, readonly ParamValue[]> = {
  model: ['CAE', 'IAE-LSTM-KL', 'DeepSVDD'],
  normalClass: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  seed: [...Array(100).keys()],
  contamination: [0, 0.05, 0.1],
  minmax: ['train', 'none'],
  boundary: ['hard', 'soft'],
  lambdaKl: [0.001, 0.1, 1e-7],
  nu: [0.1, 0.05],
};

/** `n` distinct grid points (n <= 3000), alternating models so params vary in shape. */
export function makePoints(n: number, offset = 0): GridPoint[] {
  const out: GridPoint[] = [];
  for (let i = offset; i < offset + n; i++) {
    const normalClass = i % 10;
    const seed = Math.floor(i / 30) % 100;
    const contamination = [0, 0.05, 0.1][Math.floor(i / 10) % 3];
    const params: TrialParams =
      i % 2 === 0
        ? { model: 'CAE', normalClass, seed, contamination, minmax: 'train' }
        : {
            model: 'IAE-LSTM-KL',
            normalClass,
            seed,
            contamination,
            minmax: 'none',
            boundary: 'soft',
            lambdaKl: 1e-7,
            nu: 0.05,
          };
    out.push({ id: gridPointId(params), params });
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// .ts under tsx, .js once compiled to dist/ (npm test).
const CHILD = fileURLToPath(
  new URL(`./fixtures/child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

export interface Child {
  readonly proc: ChildProcess;
  /** Resolves once the child has opened the storage. */
  readonly ready: Promise<void>;
  go(): void;
  /** The child's JSON report line. */
  readonly report: Promise<Record<string, unknown>>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts test/storage/fixtures/child.ts in its own Node process. */
export function startChild(args: readonly string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady!: () => void;
  let onReport!: (r: Record<string, unknown>) => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<void>((res) => (onReady = res));
  const report = new Promise<Record<string, unknown>>((res, rej) => {
    onReport = res;
    onFail = rej;
  });
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    for (;;) {
      const nl = stdout.indexOf('\n');
      if (nl < 0) break;
      const line = stdout.slice(0, nl).trim();
      stdout = stdout.slice(nl + 1);
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) onReport(JSON.parse(line) as Record<string, unknown>);
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => (stderr += c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) =>
    proc.on('exit', (code, signal) => {
      onFail(new Error(`child ${args.join(' ')} exited (${code ?? signal}) without a report:\n${stderr}`));
      // A child that dies before "ready" must not leave a test waiting forever.
      onReady();
      res({ code, signal, stderr });
    }),
  );
  report.catch(() => {});
  return {
    proc,
    ready,
    go: () => proc.stdin!.write('go\n'),
    report,
    exit,
  };
}
