// A study's data on this host, for `start` and `worker` alike: the normal
// classes checked against what this host holds, the data set decoded once
// into shared memory (every worker thread reads this one copy), and the
// study's network checked against the images actually read. Both commands
// do this before they claim or write anything.
import { join } from 'node:path';
import {
  checkNormalClasses,
  loadDatasetShared,
  preparedShape,
  type InputShape,
  type RawDataset,
} from '../../../data/index.js';
import { StudyFileError } from '../../../errors/index.js';
import { archProblem } from '../../../models/network.js';
import type { Study } from '../../../study/schema.js';

/** The study's network cannot take the data's images: refused naming the study file and arch.channels. */
export function checkArch(study: Study, input: InputShape, studyFile: string): void {
  const problem = archProblem(study.arch, input);
  if (problem)
    throw new StudyFileError(studyFile, [
      `${problem.startsWith('latent') ? 'arch.latent' : 'arch.channels'}: ${problem} (data set ${study.dataset.name})`,
    ]);
}

/** The promise's value, or null as soon as the signal aborts (at once when it already has). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface StudyDataOptions {
  /** The cache folder (its data/ holds decoded data sets); null: no cache. */
  readonly cacheDir: string | null;
  readonly signal: AbortSignal;
  /** What a refused arch names: the study file, or the database holding the stored definition. */
  readonly studyFile: string;
}

/**
 * The study's data and the input shape its networks get, or null when the
 * signal aborts meanwhile. Reads and gunzip stop between chunks on the
 * signal; a step that does not look at it is left behind at once (the
 * process exits). Throws DatasetError for data that are missing or bad, and
 * StudyFileError for an arch the images do not fit.
 */
export async function loadStudyData(
  study: Study,
  opts: StudyDataOptions,
): Promise<{ readonly data: RawDataset; readonly input: InputShape } | null> {
  // A normal class this host has no data for (a partial MVTec AD copy) is refused before anything is read.
  await checkNormalClasses(study.dataset, study.grid.normalClass);
  const data = await untilAborted(
    loadDatasetShared(study.dataset, {
      cacheDir: opts.cacheDir === null ? null : join(opts.cacheDir, 'data'),
      signal: opts.signal,
    }),
    opts.signal,
  );
  if (data === null) return null;
  const input = preparedShape(data.train, data.preprocessing);
  checkArch(study, input, opts.studyFile);
  return { data, input };
}
