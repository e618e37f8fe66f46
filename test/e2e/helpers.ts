// Runs the real CLI in a child process (through tsx, as in development).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';

export const CLI = join(process.cwd(), 'src', 'cli', 'index.ts');
/** tsx by its resolved URL, so that the CLI also runs from a working directory outside the repository. */
const TSX = import.meta.resolve('tsx');

/** Real Fashion-MNIST when installed (CI installs it), else the synthetic set. */
export function tinyDataset(): Record<string, unknown> {
  const fm = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
  return existsSync(fm)
    ? { name: 'fashion-mnist', trainSize: 64, testSize: 128 }
    : { name: 'synthetic', trainSize: 64, testSize: 128 };
}

export function tinyStudy(
  name: string,
  grid: Record<string, unknown>,
  training: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    dataset: tinyDataset(),
    grid: { model: ['IAE-LSTM-KL'], ...grid },
    training: { pretrainEpochs: 1, jointEpochs: 1, batchSize: 32, warmupEpochs: 0, ...training },
    arch: { channels: [4, 8, 8], latent: 16 },
    workers: 2,
    backend: 'wasm',
  };
}

export function writeStudy(study: Record<string, unknown>): { dir: string; file: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  const file = join(dir, `${String(study.name)}.json`);
  writeFileSync(file, JSON.stringify(study, null, 2));
  return { dir, file, db: join(dir, 'study.sqlite3') };
}

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, done };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every trial of the study, read-only. */
export async function trialsOf(db: string, name: string) {
  const s = openSqliteStorage(db, { readonly: true });
  try {
    const study = await s.getStudy(name);
    return study ? await s.getTrials(study.id) : [];
  } finally {
    await s.close();
  }
}

/** While a sweep starts, its database may not exist yet or be half created. */
export async function trialsSoFar(db: string, name: string) {
  try {
    return existsSync(db) ? await trialsOf(db, name) : [];
  } catch {
    return [];
  }
}

/** A WTBI-like CSV: 200 normal rows, then 60 icing rows, 26 measurements. */
export function wtbiCsv(dir: string): string {
  const cols = Array.from({ length: 26 }, (_, j) => `m${j}`);
  const lines = [`time,label,${cols.join(',')}`];
  for (let i = 0; i < 260; i++) {
    const icing = i >= 200 ? 1 : 0;
    lines.push(`${i},${icing},${cols.map((_, j) => (Math.sin(i / (3 + j)) + icing * (j % 3)).toFixed(4)).join(',')}`);
  }
  const file = join(dir, 'wtbi.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
