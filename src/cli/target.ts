// Resolves the <study> argument of status/export/monitor: a study file (its
// name and storage path come from it) or a bare study name (db/<name>.sqlite3).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudyFile, type LoadedStudy } from '../study/load.js';
import { UserInputError } from '../errors/index.js';
import { openSqliteStorage } from '../storage/index.js';
import type { Storage, StudySummary } from '../storage/storage.js';

export interface StudyTarget {
  readonly name: string;
  readonly dbPath: string;
  readonly loaded?: LoadedStudy;
}

export function defaultDbPath(name: string): string {
  return join('db', `${name}.sqlite3`);
}

export function resolveTarget(arg: string, dbOverride?: string): StudyTarget {
  if (arg.endsWith('.json') || existsSync(arg)) {
    const loaded = loadStudyFile(arg);
    return { name: loaded.study.name, dbPath: dbOverride ?? loaded.study.storage ?? defaultDbPath(loaded.study.name), loaded };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(arg))
    throw new UserInputError('not a study file nor a study name (give studies/<file>.json or the study name)', arg);
  return { name: arg, dbPath: dbOverride ?? defaultDbPath(arg) };
}

export function requireDb(target: StudyTarget): void {
  if (!existsSync(target.dbPath))
    throw new UserInputError(
      `no database for study "${target.name}" (run \`sweep start <study file>\` first, or pass --db PATH)`,
      target.dbPath,
    );
}

/** Opens a target's database read-only and finds its study; the caller closes the storage. */
export function openTargetReadonly(target: StudyTarget): { storage: Storage; study: StudySummary } {
  requireDb(target);
  const storage = openSqliteStorage(target.dbPath, { readonly: true });
  const study = storage.getStudy(target.name);
  if (!study) {
    const names = storage.listStudies().map((s) => s.name);
    storage.close();
    throw new UserInputError(`no study "${target.name}" in this database (it has: ${names.join(', ') || 'none'})`, target.dbPath);
  }
  return { storage, study };
}
