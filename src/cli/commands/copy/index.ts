// `sweep copy <from> <to>`: copies one study between two storages (a SQLite
// file and a PostgreSQL URL, in either direction, or two of a kind), after
// Optuna's copy_study: the study's attributes, then every trial as it is
// (state, value, params with their stored distributions, intermediate values,
// attributes, times), in number order. Losslessly: a round trip reads back
// identically through our storage and through Optuna.
//
// The copy has the study's direction(s) as they are: ours are MAXIMIZE, a
// study Optuna made may be MINIMIZE. A study of several objectives is refused:
// our storage reads and writes one objective's trial values, so the others'
// would be lost (Optuna's own copy_study copies it).
//
// Why it refuses a study with RUNNING trials: a copied RUNNING trial has no
// process to heartbeat it, so the copy would fail it as stale and run its
// point again. Stop the sweep first (its running trials go back to WAITING).
import { existsSync } from 'node:fs';
import { UserInputError } from '../../../errors/index.js';
import { isPostgresUrl, openStorage } from '../../../storage/open.js';
import type { Storage } from '../../../storage/storage.js';
import { TrialState } from '../../../trial/state.js';

export interface CopyOptions {
  readonly from: string;
  readonly to: string;
  /** The study to copy; optional when `from` holds exactly one. */
  readonly study?: string;
  /** The name in `to` (default: the same name). */
  readonly as?: string;
  readonly signal?: AbortSignal;
  readonly write: (line: string) => void;
}

export interface CopyResult {
  readonly study: string;
  readonly trials: number;
}

export async function runCopy(opts: CopyOptions): Promise<CopyResult> {
  // A server database is checked by connecting to it; a missing file is named here
  // (the read-only open would talk of a monitor).
  if (!isPostgresUrl(opts.from) && !existsSync(opts.from)) {
    throw new UserInputError(
      'no such database to copy from: check the path (a SQLite file, or a postgresql:// URL)',
      opts.from,
    );
  }
  const from = await openStorage(opts.from, { readonly: true });
  try {
    const studies = await from.listStudies();
    const name = opts.study ?? (studies.length === 1 ? studies[0]!.name : undefined);
    if (name === undefined) {
      throw new UserInputError(
        `${studies.length === 0 ? 'holds no study' : `holds ${studies.length} studies (${studies.map((s) => s.name).join(', ')})`}: name one with --study NAME`,
        from.location,
      );
    }
    const study = studies.find((s) => s.name === name);
    if (!study)
      throw new UserInputError(
        `no study "${name}" here (it has: ${studies.map((s) => s.name).join(', ') || 'none'})`,
        from.location,
      );
    if (study.directions.length !== 1) {
      throw new UserInputError(
        `study "${name}" has ${study.directions.length} objectives (${study.directions.join(', ')}); sweep copy keeps one ` +
          "objective's values, so it would lose the others: copy it with Optuna's copy_study",
        from.location,
      );
    }
    const trials = await from.getTrials(study.id);
    const running = trials.filter((t) => t.state === TrialState.RUNNING).length;
    if (running > 0) {
      throw new UserInputError(
        `study "${name}" has ${running} RUNNING trial(s): stop its sweep first (Ctrl-C returns them to WAITING), then copy`,
        from.location,
      );
    }
    const toName = opts.as ?? name;
    const to = await openStorage(opts.to);
    try {
      if (await to.getStudy(toName)) {
        throw new UserInputError(
          `a study "${toName}" exists already: copy under another name with --as NAME, or \`sweep rm\` it there first`,
          to.location,
        );
      }
      opts.signal?.throwIfAborted();
      // One transaction: a copy stopped half way leaves no half study behind.
      await to.atomically(async (tx: Storage) => {
        const created = await tx.openStudy(toName, { ...study.systemAttrs }, study.directions);
        for (const [k, v] of Object.entries(study.userAttrs)) await tx.setStudyUserAttr(created.id, k, v);
        for (const t of [...trials].sort((a, b) => a.number - b.number)) {
          opts.signal?.throwIfAborted();
          await tx.importTrial(created.id, {
            state: t.state,
            value: t.value,
            params: t.params,
            distributions: t.distributions,
            intermediate: t.intermediate,
            userAttrs: t.userAttrs,
            systemAttrs: t.systemAttrs,
            startedAt: t.startedAt,
            completedAt: t.completedAt,
          });
        }
      });
      opts.write(
        `copied study "${name}" (${trials.length} trials) from ${from.location} to ${to.location}${toName !== name ? ` as "${toName}"` : ''}`,
      );
      return { study: toName, trials: trials.length };
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}
