// Params as trial_params stores them, the same for every backend: a grid
// point's value is a CategoricalDistribution's choice, stored as its index;
// a value Optuna itself sampled (Float/Int distributions) is stored as is.
// The one place that reads and writes that format (SQLite and PostgreSQL
// differ only in the words of their errors).
//
// An imported trial's param (importTrial, for `sweep copy`) comes either with
// its choices (encoded as enqueuePoints encodes a grid point) or with the
// distribution JSON another storage holds for it, kept verbatim: a copy must
// not re-encode, or Optuna would see another distribution (a study whose
// choices changed over time stores several).
import { StorageError } from '../errors/index.js';
import type { ParamValue } from '../grid/expand.js';
import { pyJsonDumps, pyJsonLoads } from './pyjson.js';

/** The distribution JSON of a grid axis, as Optuna writes a CategoricalDistribution. */
export function categoricalJson(choices: readonly ParamValue[]): string {
  return pyJsonDumps({ name: 'CategoricalDistribution', attributes: { choices: [...choices] } });
}

/** A distribution's choices, or null for one whose values are stored as is (Float/Int). */
function parseChoices(distributionJson: string): readonly ParamValue[] | null {
  const dist = pyJsonLoads(distributionJson) as { name?: string; attributes?: { choices?: ParamValue[] } } | null;
  return dist?.name === 'CategoricalDistribution' ? (dist.attributes?.choices ?? []) : null;
}

/**
 * Decodes and encodes one storage's params, parsing each distinct
 * distribution JSON once (a study has a handful, its trials thousands).
 */
export class ParamCodec {
  readonly #choices = new Map<string, readonly ParamValue[] | null>();

  /**
   * @param where the storage's file or database, named in errors
   * @param damaged what a value outside its choices suggests, in the backend's words ("damaged file?")
   */
  constructor(
    private readonly where: string,
    private readonly damaged: string,
  ) {}

  #choicesOf(distributionJson: string): readonly ParamValue[] | null {
    let choices = this.#choices.get(distributionJson);
    if (choices === undefined) {
      choices = parseChoices(distributionJson);
      this.#choices.set(distributionJson, choices);
    }
    return choices;
  }

  /** A stored param's value: its choice, or the value itself for a Float/Int distribution. */
  decode(distributionJson: string, value: number): ParamValue {
    const choices = this.#choicesOf(distributionJson);
    if (choices === null) return value;
    const choice = choices[Math.round(value)];
    if (choice === undefined) {
      throw new StorageError(
        `param value index ${value} is outside the choices ${distributionJson} (${this.damaged})`,
        this.where,
      );
    }
    return choice;
  }

  /** An imported trial's param: the internal value and distribution JSON trial_params stores. */
  encodeImported(
    name: string,
    value: ParamValue,
    dist: readonly ParamValue[] | string | undefined,
  ): { readonly value: number; readonly json: string } {
    if (dist === undefined)
      throw new StorageError(
        `importTrial: param "${name}" has no distribution (give its choices or its stored JSON)`,
        this.where,
      );
    const json = typeof dist === 'string' ? dist : categoricalJson(dist);
    const choices = typeof dist === 'string' ? this.#choicesOf(dist) : dist;
    if (choices === null) {
      if (typeof value !== 'number')
        throw new StorageError(
          `importTrial: ${name}=${JSON.stringify(value)} is not a number, as ${json} needs`,
          this.where,
        );
      return { value, json };
    }
    const index = choices.findIndex((c) => c === value);
    if (index < 0)
      throw new StorageError(
        `importTrial: ${name}=${JSON.stringify(value)} is not among its choices ${json}`,
        this.where,
      );
    return { value: index, json };
  }
}
