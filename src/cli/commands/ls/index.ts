// `sweep ls`: the studies of a database (or of every db/*.sqlite3), each with
// its trial counts. Read-only.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../../../errors/index.js';
import { openStorage } from '../../../storage/index.js';
import { TRIAL_STATE_NAMES, TrialState } from '../../../trial/state.js';

export interface LsOptions {
  /** One database; default every *.sqlite3 in `dbDir`. */
  readonly db?: string;
  /** Default db (the folder `start` puts databases in). */
  readonly dbDir?: string;
  readonly json?: boolean;
  readonly write: (line: string) => void;
}

export interface StudyListing {
  readonly db: string;
  readonly study: string;
  /** Trials of our grid, per state. */
  readonly states: Record<string, number>;
  /** Trials added from Optuna (no grid point of ours): never run here. */
  readonly foreign: number;
}

const ORDER = [TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING, TrialState.FAIL, TrialState.PRUNED];

/** The databases `ls` and `cache` look at: the one given, else every *.sqlite3 of the folder. */
export function databases(db: string | undefined, dbDir = 'db'): string[] {
  if (db !== undefined) {
    if (!existsSync(db)) throw new UserInputError('no such database; check the path', db);
    return [db];
  }
  if (!existsSync(dbDir)) return [];
  return readdirSync(dbDir)
    .filter((f) => f.endsWith('.sqlite3'))
    .sort()
    .map((f) => join(dbDir, f));
}

export async function listStudies(dbs: readonly string[]): Promise<StudyListing[]> {
  const out: StudyListing[] = [];
  for (const db of dbs) {
    const storage = await openStorage(db, { readonly: true });
    try {
      for (const s of await storage.listStudies()) {
        const c = await storage.countTrials(s.id, 'grid');
        const states = Object.fromEntries(ORDER.map((k) => [TRIAL_STATE_NAMES[k], c[k]]));
        const foreign = Object.values(await storage.countTrials(s.id, 'foreign')).reduce((a, b) => a + b, 0);
        out.push({ db, study: s.name, states, foreign });
      }
    } finally {
      await storage.close();
    }
  }
  return out;
}

export async function runLs(opts: LsOptions): Promise<void> {
  const dbs = databases(opts.db, opts.dbDir);
  const rows = await listStudies(dbs);
  if (opts.json) {
    for (const r of rows) opts.write(JSON.stringify(r));
    return;
  }
  if (dbs.length === 0) {
    opts.write(`no databases in ${opts.dbDir ?? 'db'}/ (pass --db PATH)`);
    return;
  }
  if (rows.length === 0) opts.write(`no studies in ${dbs.join(', ')}`);
  const width = Math.max(5, ...rows.map((r) => r.study.length));
  for (const r of rows) {
    const counts = Object.entries(r.states)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    opts.write(
      `${r.study.padEnd(width)}  ${r.db}  ${counts}${r.foreign ? `  (+${r.foreign} not from this grid)` : ''}`,
    );
  }
}
