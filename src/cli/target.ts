// Resolves the <study> argument of status/export/monitor: a study file (its
// name and storage path come from it) or a bare study name (db/<name>.sqlite3).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudyFile, type LoadedStudy } from '../study/load.js';
import { UserInputError } from '../errors/index.js';
import { isPostgresUrl, maskLocation, openStorage } from '../storage/index.js';
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
    return {
      name: loaded.study.name,
      dbPath: dbOverride ?? loaded.study.storage ?? defaultDbPath(loaded.study.name),
      loaded,
    };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(arg))
    throw new UserInputError('not a study file nor a study name (give studies/<file>.json or the study name)', arg);
  return { name: arg, dbPath: dbOverride ?? defaultDbPath(arg) };
}

export function requireDb(target: StudyTarget): void {
  // A server database is checked by connecting to it.
  if (!isPostgresUrl(target.dbPath) && !existsSync(target.dbPath))
    throw new UserInputError(
      `no database for study "${target.name}" (run \`sweep start <study file>\` first, or pass --db PATH)`,
      maskLocation(target.dbPath),
    );
}

/** Opens a target's database read-only and finds its study; the caller closes the storage. */
export async function openTargetReadonly(target: StudyTarget): Promise<{ storage: Storage; study: StudySummary }> {
  requireDb(target);
  const storage = await openStorage(target.dbPath, { readonly: true });
  let study: StudySummary | null;
  let names: string[] = [];
  try {
    study = await storage.getStudy(target.name);
    if (!study) names = (await storage.listStudies()).map((s) => s.name);
  } catch (err) {
    await storage.close();
    throw err;
  }
  if (!study) {
    await storage.close();
    throw new UserInputError(
      `no study "${target.name}" in this database (it has: ${names.join(', ') || 'none'})`,
      storage.location,
    );
  }
  return { storage, study };
}
