// How an imported trial's params are stored (importTrial, for `sweep copy`),
// the same for every backend. A param comes either with its choices (encoded
// as enqueuePoints encodes a grid point: CategoricalDistribution, the value's
// index) or with the distribution JSON another storage holds for it, kept
// verbatim: a copy must not re-encode, or Optuna would see another
// distribution (a study whose choices changed over time stores several).
import { StorageError } from '../errors/index.js';
import type { ParamValue } from '../grid/expand.js';
import { pyJsonDumps, pyJsonLoads } from './pyjson.js';

/** A param's internal value and distribution JSON, as trial_params stores them. */
export function encodeImportedParam(
  name: string,
  value: ParamValue,
  dist: readonly ParamValue[] | string | undefined,
  where: string,
): { readonly value: number; readonly json: string } {
  if (dist === undefined)
    throw new StorageError(
      `importTrial: param "${name}" has no distribution (give its choices or its stored JSON)`,
      where,
    );
  const json =
    typeof dist === 'string'
      ? dist
      : pyJsonDumps({ name: 'CategoricalDistribution', attributes: { choices: [...dist] } });
  const parsed =
    typeof dist === 'string'
      ? (pyJsonLoads(dist) as { name?: string; attributes?: { choices?: ParamValue[] } } | null)
      : null;
  const choices =
    typeof dist === 'string'
      ? parsed?.name === 'CategoricalDistribution'
        ? (parsed.attributes?.choices ?? [])
        : null
      : dist;
  if (choices === null) {
    // Float/Int distributions (trials Optuna sampled) store the value itself.
    if (typeof value !== 'number')
      throw new StorageError(`importTrial: ${name}=${JSON.stringify(value)} is not a number, as ${json} needs`, where);
    return { value, json };
  }
  const index = choices.findIndex((c) => c === value);
  if (index < 0)
    throw new StorageError(`importTrial: ${name}=${JSON.stringify(value)} is not among its choices ${json}`, where);
  return { value: index, json };
}
