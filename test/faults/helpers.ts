// Shared by the fault tests: a study file in a fresh working directory, and
// what the start command left there.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh working directory holding `study.json`; the CLI runs there, so db/ and .cache/ would appear in it. */
export function studyDir(study: unknown, text?: string): { cwd: string; file: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'fault-'));
  const file = join(cwd, 'study.json');
  writeFileSync(file, text ?? JSON.stringify(study, null, 2));
  return { cwd, file };
}

/** The entries of the working directory besides the study file and fixtures named in `keep`. */
export function written(cwd: string, keep: readonly string[] = []): string[] {
  return readdirSync(cwd).filter((f) => f !== 'study.json' && !keep.includes(f));
}
