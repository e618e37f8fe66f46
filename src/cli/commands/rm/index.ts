// `sweep rm <study>`: deletes a study and its trials from its database, after
// a yes on the terminal. Without a terminal it refuses unless given --yes, so
// a script never deletes by accident and never hangs on a question.
import { UserInputError } from '../../../errors/index.js';
import { openStorage } from '../../../storage/index.js';
import { requireDb, resolveTarget } from '../../target.js';

export interface RmOptions {
  readonly target: string;
  readonly db?: string;
  /** --yes: delete without asking. */
  readonly yes: boolean;
  /** Asks a yes/no question; absent when stdin is not a terminal. */
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly write: (line: string) => void;
}

export async function runRm(opts: RmOptions): Promise<void> {
  const target = resolveTarget(opts.target, opts.db);
  requireDb(target);
  const storage = await openStorage(target.dbPath);
  try {
    const study = await storage.getStudy(target.name);
    if (!study) {
      const names = (await storage.listStudies()).map((s) => s.name);
      throw new UserInputError(
        `no study "${target.name}" in this database (it has: ${names.join(', ') || 'none'})`,
        storage.location,
      );
    }
    const trials = Object.values(await storage.countTrials(study.id)).reduce((a, b) => a + b, 0);
    const what = `study "${study.name}" and its ${trials} trial(s) from ${storage.location}`;
    if (!opts.yes) {
      if (!opts.confirm)
        throw new UserInputError(
          `refusing to delete ${what} without confirmation: stdin is not a terminal; pass --yes`,
          'rm',
        );
      if (!(await opts.confirm(`delete ${what}? This cannot be undone.`))) {
        opts.write('nothing deleted');
        return;
      }
    }
    await storage.deleteStudy(study.id);
    opts.write(`deleted ${what}`);
  } finally {
    await storage.close();
  }
}
