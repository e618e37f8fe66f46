// Hand-made studies and trials for the report tests. Trials are built from the
// study's own grid points (expandGrid), as the scheduler makes them, with
// AUROC values chosen by the test so every expected number can be worked out
// by hand.
import { createHash } from 'node:crypto';
import { Study, type StudyInput } from '../../src/study/schema.js';
import { expandGrid, searchSpace, type GridPoint, type TrialParams } from '../../src/grid/expand.js';
import { canonicalJson } from '../../src/json.js';
import { TrialState } from '../../src/trial/state.js';
import type { FrozenTrial, JsonValue, StudySummary } from '../../src/storage/storage.js';

export function studyOf(input: StudyInput): { study: Study; summary: StudySummary } {
  const study = Study.parse(input);
  const definition = JSON.parse(JSON.stringify(study)) as JsonValue;
  return {
    study,
    summary: {
      id: 1,
      name: study.name,
      systemAttrs: {
        definition,
        definition_hash: createHash('sha256').update(canonicalJson(definition)).digest('hex'),
        search_space: searchSpace(study.grid) as unknown as JsonValue,
      },
      userAttrs: {},
      directions: ['MAXIMIZE'],
    },
  };
}

export interface TrialSpec {
  /** Final AUROC per score; the trial value is the objective's. */
  readonly auroc?: Partial<Record<'svdd' | 'rec' | 'svdd+rec', number>>;
  /** Per joint epoch, per score. */
  readonly history?: Partial<Record<'svdd' | 'rec' | 'svdd+rec', number[]>>;
  readonly state?: TrialState;
  readonly backend?: string;
  readonly objective?: 'svdd' | 'rec' | 'svdd+rec';
}

/** A FrozenTrial as the storage returns it. */
export function trialOf(number: number, point: GridPoint, spec: TrialSpec): FrozenTrial {
  const state = spec.state ?? TrialState.COMPLETE;
  const objective = spec.objective ?? (spec.auroc?.svdd !== undefined ? 'svdd' : 'rec');
  const userAttrs: Record<string, JsonValue> = {};
  if (state === TrialState.COMPLETE) {
    userAttrs['auroc'] = { ...spec.auroc } as JsonValue;
    userAttrs['objective_score'] = objective;
    userAttrs['backend'] = spec.backend ?? 'cpu';
    if (spec.history) userAttrs['auroc_history'] = { ...spec.history } as JsonValue;
  }
  if (state === TrialState.FAIL) userAttrs['error'] = 'boom';
  const hist = spec.history?.[objective] ?? [];
  return {
    id: number + 1,
    number,
    state,
    value: state === TrialState.COMPLETE ? (spec.auroc?.[objective] ?? null) : null,
    gridPoint: point.id,
    distributions: {},
    params: point.params,
    intermediate: new Map(hist.map((v, i) => [i + 1, v])),
    userAttrs,
    systemAttrs: { grid_point: point.id, worker: 'w0' },
    startedAt: new Date(0),
    completedAt: state === TrialState.COMPLETE ? new Date(1000) : null,
    heartbeatAt: null,
  };
}

/** Trials for every grid point that `value` gives a spec for (undefined = no trial). */
export function trialsFor(study: Study, value: (p: TrialParams) => TrialSpec | undefined): FrozenTrial[] {
  const out: FrozenTrial[] = [];
  for (const p of expandGrid(study.grid)) {
    const spec = value(p.params);
    if (spec) out.push(trialOf(out.length, p, spec));
  }
  return out;
}

export const FIXED_META = {
  version: '0.1.0',
  commit: '0123456789abcdef0123456789abcdef01234567',
  generatedAt: '2025-01-02T03:04:05.000Z',
};
