// A study's optimisation direction(s), one per objective, as Optuna's
// study_directions table stores them (StudyDirection's names). Ours are
// MAXIMIZE (the objective is an AUROC); a study Optuna made may be MINIMIZE,
// or have several objectives, and `sweep copy` keeps them as they are.
import { StorageError } from '../errors/index.js';

export const STUDY_DIRECTIONS = ['NOT_SET', 'MINIMIZE', 'MAXIMIZE'] as const;
export type StudyDirection = (typeof STUDY_DIRECTIONS)[number];

/** What openStudy gives a study it creates when told nothing else: one objective, maximised. */
export const DEFAULT_DIRECTIONS: readonly StudyDirection[] = Object.freeze(['MAXIMIZE']);

function isDirection(d: unknown): d is StudyDirection {
  return typeof d === 'string' && (STUDY_DIRECTIONS as readonly string[]).includes(d);
}

/** Directions a caller asks openStudy for: at least one, each a StudyDirection. */
export function checkDirections(directions: readonly StudyDirection[], where: string): readonly StudyDirection[] {
  if (directions.length === 0 || !directions.every(isDirection)) {
    throw new StorageError(
      `openStudy: directions ${JSON.stringify(directions)} must be one or more of ${STUDY_DIRECTIONS.join(', ')}`,
      where,
    );
  }
  return directions;
}

/** A study's stored directions (by objective), frozen; an unknown name is damage, named in the backend's words. */
export function readDirections(
  stored: readonly unknown[],
  study: string,
  where: string,
  damaged: string,
): readonly StudyDirection[] {
  for (const d of stored) {
    if (!isDirection(d))
      throw new StorageError(
        `study "${study}" has direction ${JSON.stringify(d)}, not one of Optuna's (${damaged})`,
        where,
      );
  }
  return Object.freeze([...(stored as StudyDirection[])]);
}
