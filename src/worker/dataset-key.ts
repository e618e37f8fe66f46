import type { Dataset } from '../study/schema.js';

/** Which decoded data set a study's dataset option names (subsampling happens per trial). */
export function datasetKey(spec: Dataset): string {
  return JSON.stringify([spec.name, spec.dir ?? null, spec.file ?? null]);
}
