// Reading trials and studies out of PostgreSQL in one statement each (every
// child table aggregated as JSON beside its trial), so a snapshot is consistent
// under READ COMMITTED and a read is one round trip.
import { StorageError } from '../errors/index.js';
import type { ParamValue, TrialParams } from '../grid/expand.js';
import { trialStateFromName, type TrialState } from '../trial/state.js';
import { deepFreeze, FrozenMap } from './frozen.js';
import { ParamCodec } from './params.js';
import { readDirections } from './directions.js';
import { pyJsonLoads } from './pyjson.js';
import type { FrozenTrial, JsonValue, StudySummary, TrialCurve } from './storage.js';

/** Trial system attribute holding our grid point id (as sqlite.ts). */
export const GRID_POINT_ATTR = 'grid_point';
/** Trial system attribute naming the worker that claimed the trial. */
export const WORKER_ATTR = 'worker';

export const HAS_GRID_POINT = `EXISTS (SELECT 1 FROM trial_system_attributes g WHERE g.trial_id = t.trial_id AND g.key = '${GRID_POINT_ATTR}')`;

const agg = (cols: string, table: string, order: string) =>
  `(SELECT json_agg(json_build_array(${cols}) ORDER BY ${order}) FROM ${table} x WHERE x.trial_id = t.trial_id)`;

/** Select list + FROM of a trial read; append WHERE/ORDER BY. */
export const TRIAL_SELECT =
  'SELECT t.trial_id, t.number, t.state::text AS state, t.datetime_start, t.datetime_complete, ' +
  'v.value, v.value_type::text AS value_type, h.heartbeat, ' +
  `${agg('x.param_name, x.param_value, x.distribution_json', 'trial_params', 'x.param_id')} AS params, ` +
  `${agg('x.step, x.intermediate_value, x.intermediate_value_type', 'trial_intermediate_values', 'x.step')} AS steps, ` +
  `${agg('x.key, x.value_json', 'trial_user_attributes', 'x.trial_user_attribute_id')} AS ua, ` +
  `${agg('x.key, x.value_json', 'trial_system_attributes', 'x.trial_system_attribute_id')} AS sa ` +
  'FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 ' +
  'LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id';

/** What getTrialCurves reads of a trial: its params and intermediate values, not its attributes. */
export const CURVE_SELECT =
  'SELECT t.trial_id, t.number, t.state::text AS state, ' +
  `${agg('x.param_name, x.param_value, x.distribution_json', 'trial_params', 'x.param_id')} AS params, ` +
  `${agg('x.step, x.intermediate_value, x.intermediate_value_type', 'trial_intermediate_values', 'x.step')} AS steps ` +
  'FROM trials t';

export type CurveRow = Pick<TrialRow, 'trial_id' | 'number' | 'state' | 'params' | 'steps'>;

export interface TrialRow {
  trial_id: number;
  number: number;
  state: string;
  datetime_start: Date | null;
  datetime_complete: Date | null;
  value: number | null;
  value_type: string | null;
  heartbeat: Date | null;
  params: [string, number, string][] | null;
  steps: [number, number | null, string][] | null;
  ua: [string, string][] | null;
  sa: [string, string][] | null;
}

export const STUDY_SELECT =
  'SELECT s.study_id, s.study_name, ' +
  '(SELECT json_agg(json_build_array(a.key, a.value_json) ORDER BY a.study_system_attribute_id) FROM study_system_attributes a WHERE a.study_id = s.study_id) AS sa, ' +
  '(SELECT json_agg(json_build_array(a.key, a.value_json) ORDER BY a.study_user_attribute_id) FROM study_user_attributes a WHERE a.study_id = s.study_id) AS ua, ' +
  '(SELECT json_agg(d.direction ORDER BY d.objective) FROM study_directions d WHERE d.study_id = s.study_id) AS dirs ' +
  'FROM studies s';

export interface StudyRow {
  study_id: number;
  study_name: string;
  sa: [string, string][] | null;
  ua: [string, string][] | null;
  /** study_directions by objective: the studydirection enum's names. */
  dirs: string[] | null;
}

/** Stored repr of a float as Optuna's TrialValueModel/TrialIntermediateValueModel. */
export function storedFloat(v: number): [number | null, string] {
  if (Number.isNaN(v)) return [null, 'NAN'];
  if (v === Infinity) return [null, 'INF_POS'];
  if (v === -Infinity) return [null, 'INF_NEG'];
  return [v, 'FINITE'];
}

export function loadFloat(value: number | null, type: string | null): number {
  switch (type) {
    case 'NAN':
      return NaN;
    case 'INF_POS':
      return Infinity;
    case 'INF_NEG':
      return -Infinity;
    default:
      return value ?? NaN;
  }
}

function attrs(rows: [string, string][] | null): Readonly<Record<string, JsonValue>> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of rows ?? []) out[k] = deepFreeze(pyJsonLoads(v));
  return Object.freeze(out);
}

export function buildStudy(row: StudyRow, where: string): StudySummary {
  return Object.freeze({
    id: row.study_id,
    name: row.study_name,
    systemAttrs: attrs(row.sa),
    userAttrs: attrs(row.ua),
    directions: readDirections(row.dirs ?? [], row.study_name, where, 'damaged database?'),
  });
}

/** Turns rows into frozen snapshots. */
export class TrialDecoder {
  /** Params in and out of trial_params (params.ts), each distinct distribution parsed once; importTrial encodes with it too. */
  readonly params: ParamCodec;
  constructor(private readonly where: string) {
    this.params = new ParamCodec(where, 'damaged database?');
  }

  state(name: string, trialId: number): TrialState {
    const s = trialStateFromName(name);
    if (s === undefined)
      throw new StorageError(
        `trial ${trialId} has unknown state ${JSON.stringify(name)} (damaged database?)`,
        this.where,
      );
    return s;
  }

  curve(row: CurveRow): TrialCurve {
    const p: Record<string, ParamValue> = {};
    for (const [name, value, dist] of row.params ?? []) p[name] = this.params.decode(dist, value);
    return Object.freeze({
      id: row.trial_id,
      number: row.number,
      state: this.state(row.state, row.trial_id),
      params: Object.freeze(p) as unknown as Readonly<TrialParams>,
      intermediate: new FrozenMap<number, number>(
        (row.steps ?? []).map(([step, v, type]) => [step, loadFloat(v, type)] as const),
      ),
    });
  }

  build(row: TrialRow): FrozenTrial {
    const p: Record<string, ParamValue> = {};
    const d: Record<string, string> = {};
    for (const [name, value, dist] of row.params ?? []) {
      p[name] = this.params.decode(dist, value);
      d[name] = dist;
    }
    const sa = attrs(row.sa);
    const gp = sa[GRID_POINT_ATTR];
    return Object.freeze({
      id: row.trial_id,
      number: row.number,
      state: this.state(row.state, row.trial_id),
      value: row.value_type === null ? null : loadFloat(row.value, row.value_type),
      gridPoint: typeof gp === 'string' ? gp : '',
      params: Object.freeze(p) as unknown as Readonly<TrialParams>,
      distributions: Object.freeze(d),
      intermediate: new FrozenMap<number, number>(
        (row.steps ?? []).map(([step, v, type]) => [step, loadFloat(v, type)] as const),
      ),
      userAttrs: attrs(row.ua),
      systemAttrs: sa,
      startedAt: row.datetime_start,
      completedAt: row.datetime_complete,
      heartbeatAt: row.heartbeat,
    });
  }
}
