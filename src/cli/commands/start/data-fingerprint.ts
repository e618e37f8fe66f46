// The study's data fingerprint (system attribute `data_fingerprint`,
// src/data/fingerprint.ts): recorded by the first start (or the first worker,
// for a study from before it existed), compared by every later start and
// worker before they write anything.
import { dataFingerprint, readFingerprint, type DataFingerprint, type RawDataset } from '../../../data/index.js';
import { DataMismatchError } from '../../../errors/index.js';
import type { JsonValue, Storage } from '../../../storage/storage.js';

export const DATA_FINGERPRINT_ATTR = 'data_fingerprint';

/**
 * Pure: this host's fingerprint against the study's system attributes.
 * Throws DataMismatchError when they differ; returns the fingerprint to
 * record when the study has none yet, else null.
 */
export function checkDataFingerprint(
  data: RawDataset,
  studyAttrs: Readonly<Record<string, JsonValue>> | null,
  where: { readonly study: string; readonly db: string },
): DataFingerprint | null {
  const mine = dataFingerprint(data);
  const recorded = studyAttrs ? readFingerprint(studyAttrs[DATA_FINGERPRINT_ATTR]) : null;
  if (!recorded) return mine;
  if (recorded.sha256 !== mine.sha256 || recorded.dataset !== mine.dataset)
    throw new DataMismatchError(mine.dataset, mine.sha256, recorded.sha256, where.study, where.db);
  return null;
}

/** The one write: the study's fingerprint, once. */
export async function recordDataFingerprint(storage: Storage, studyId: number, fp: DataFingerprint): Promise<void> {
  await storage.setStudySystemAttr(studyId, DATA_FINGERPRINT_ATTR, { dataset: fp.dataset, sha256: fp.sha256 });
}
