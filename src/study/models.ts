// Which parts each model of the paper has (docs/recipe.md, "Models of the paper's
// tables"). This is plain data: the grid uses it to know which axes apply to a
// model, the model registry (src/models) uses it to compose the network, and
// the report uses it to know which scores a model has.
import type { ModelName, Score } from './schema.js';

export interface ModelTraits {
  /** LSTM module between encoder and latent head. */
  readonly lstm: boolean;
  /** Decoder and reconstruction loss. */
  readonly decoder: boolean;
  /** KL term on the latent. */
  readonly kl: boolean;
  /** SVDD term (and so a boundary, hard or soft). */
  readonly svdd: boolean;
  /** LSTM gates replaced by 1 (Table VII). */
  readonly gates?: { readonly input: boolean; readonly output: boolean };
  /** A baseline with its own training (not a composition of the parts above). */
  readonly baseline?: boolean;
}

const ALL_GATES = { input: true, output: true } as const;

export const MODEL_TRAITS: Readonly<Record<ModelName, ModelTraits>> = {
  CAE: { lstm: false, decoder: true, kl: false, svdd: false },
  DeepSVDD: { lstm: false, decoder: false, kl: false, svdd: true },
  IAEAD: { lstm: false, decoder: true, kl: false, svdd: true },
  'DSVDD-KL': { lstm: false, decoder: false, kl: true, svdd: true },
  DLSVDD: { lstm: true, decoder: false, kl: false, svdd: true, gates: ALL_GATES },
  'DLSVDD-KL': { lstm: true, decoder: false, kl: true, svdd: true, gates: ALL_GATES },
  'IAE-KL': { lstm: false, decoder: true, kl: true, svdd: true },
  'IAE-LSTM': { lstm: true, decoder: true, kl: false, svdd: true, gates: ALL_GATES },
  'IAE-LSTM-KL': { lstm: true, decoder: true, kl: true, svdd: true, gates: ALL_GATES },
  'IAE-LSTM-KL-noInputGate': { lstm: true, decoder: true, kl: true, svdd: true, gates: { input: false, output: true } },
  'IAE-LSTM-KL-noOutputGate': { lstm: true, decoder: true, kl: true, svdd: true, gates: { input: true, output: false } },
  'IAE-LSTM-KL-noGates': { lstm: true, decoder: true, kl: true, svdd: true, gates: { input: false, output: false } },
  VAE: { lstm: false, decoder: true, kl: false, svdd: false, baseline: true },
  MemAE: { lstm: false, decoder: true, kl: false, svdd: false, baseline: true },
  LSA: { lstm: false, decoder: true, kl: false, svdd: false, baseline: true },
  GaussianAD: { lstm: false, decoder: false, kl: false, svdd: false, baseline: true },
};

export function modelTraits(model: ModelName): ModelTraits {
  return MODEL_TRAITS[model];
}

/**
 * The scores of the Table I baselines (src/models/baselines), in the recipe's
 * score names by meaning: 'rec' is the summed squared reconstruction error;
 * 'svdd' is a latent-space distance to the centre of the normal data (for
 * Gaussian AD the summed Mahalanobis distances of its feature levels);
 * 'svdd+rec' is min-max(latent score) + min-max(rec) over the test set, which
 * for LSA is its novelty score with the NLL of z as the latent score. LSA lists
 * it first, so that it is LSA's objective under the default 'svdd' objective.
 */
const BASELINE_SCORES: Partial<Record<ModelName, readonly Score[]>> = {
  VAE: ['rec'],
  MemAE: ['rec'],
  LSA: ['svdd+rec', 'rec'],
  GaussianAD: ['svdd'],
};

/** The scores a model can be evaluated with. */
export function modelScores(model: ModelName): Score[] {
  const t = MODEL_TRAITS[model];
  if (t.baseline) return [...(BASELINE_SCORES[model] ?? ['rec'])];
  const scores: Score[] = [];
  if (t.svdd) scores.push('svdd');
  if (t.decoder) scores.push('rec');
  if (t.svdd && t.decoder) scores.push('svdd+rec');
  return scores;
}

/** The paper's label: "IAE-LSTM-KL(h)", "CAE". */
export function modelLabel(model: ModelName, boundary?: 'hard' | 'soft'): string {
  const base = model === 'DeepSVDD' ? 'Deep SVDD' : model === 'GaussianAD' ? 'Gaussian AD' : model;
  return boundary ? `${base}(${boundary === 'hard' ? 'h' : 's'})` : base;
}

/**
 * The score a model's trials are judged by: the study's objective when the
 * model has it, otherwise the model's first score (CAE has no svdd score).
 */
export function objectiveScore(model: ModelName, objective: Score): Score {
  const scores = modelScores(model);
  return scores.includes(objective) ? objective : scores[0]!;
}
