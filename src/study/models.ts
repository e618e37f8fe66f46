// The one table of models (docs/recipe.md, "Models of the paper's tables").
// Every fact about a model is here and only here: its parts, its scores,
// the paper tables it is a row of, its row order and label, whether it
// pretrains. Everything else derives from this table: the schema's
// `ModelName` enum (schema.ts), the grid's axes (src/grid), the variant
// registry and the baselines' names (src/models), the report's rows and
// tables (src/report) and every label on the screen. Adding a model means a
// row here and, for a new kind of part or a baseline, its builder in
// src/models; test/study/tables.test.ts checks the rest knows it.
//
// Plain data with no imports, so that the schema can derive its enums from it.

/** The anomaly scores a trial can be evaluated with (docs/recipe.md, "Scores"); schema.ts's `Score` enum. */
export const SCORE_NAMES = ['svdd', 'rec', 'svdd+rec'] as const;
type Score = (typeof SCORE_NAMES)[number];

/** The paper's tables a model is a row of: Tables I-IV (main), V-VI (ablation), VII (gates). */
export type TableKind = 'main' | 'ablation' | 'gates';

interface Parts {
  /** The paper's row label, without the boundary suffix ("Deep SVDD"). */
  readonly label: string;
  /** The paper tables it is a row of. Row order in every table and figure is the order of this table. */
  readonly tables: readonly TableKind[];
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
  /** Table VII's label of a gate ablation, after the full model's label ("w/o input gate"). */
  readonly gateLabel?: string;
}

/** A model composed of the recipe's parts: its scores follow from them, and it always pretrains its autoencoder. */
interface ComposedTraits extends Parts {
  readonly baseline?: false;
}

/** A Table I baseline with its own training (src/models/baselines), not a composition of the parts above. */
interface BaselineTraits extends Parts {
  readonly baseline: true;
  /**
   * Its scores, in the recipe's score names by meaning: 'rec' is the summed
   * squared reconstruction error; 'svdd' a latent-space distance to the centre
   * of the normal data (for Gaussian AD the summed Mahalanobis distances of its
   * feature levels); 'svdd+rec' is min-max(latent score) + min-max(rec) over
   * the test set, which for LSA is its novelty score with the NLL of z as the
   * latent score. The first is the model's objective when it lacks the
   * study's (LSA lists 'svdd+rec' first for that reason).
   */
  readonly scores: readonly Score[];
  /**
   * true: the autoencoder is first pretrained on reconstruction like the
   * recipe's (training.pretrainEpochs, shared through the pretraining cache);
   * false: the model trains from its seeded init, pretrainEpochs is not used.
   */
  readonly pretrains: boolean;
}

export type ModelTraits = ComposedTraits | BaselineTraits;

const ALL_GATES = { input: true, output: true } as const;
const NONE = { lstm: false, decoder: false, kl: false, svdd: false } as const;

/** In the paper's row order (Tables I, V, VII). Literal-typed, so that names and baselines are derived types. */
const TABLE = {
  CAE: { label: 'CAE', tables: ['main'], ...NONE, decoder: true },
  MemAE: {
    label: 'MemAE',
    tables: ['main'],
    ...NONE,
    decoder: true,
    baseline: true,
    scores: ['rec'],
    pretrains: false,
  },
  VAE: { label: 'VAE', tables: ['main'], ...NONE, decoder: true, baseline: true, scores: ['rec'], pretrains: false },
  GaussianAD: { label: 'Gaussian AD', tables: ['main'], ...NONE, baseline: true, scores: ['svdd'], pretrains: true },
  LSA: {
    label: 'LSA',
    tables: ['main'],
    ...NONE,
    decoder: true,
    baseline: true,
    scores: ['svdd+rec', 'rec'],
    pretrains: false,
  },
  DeepSVDD: { label: 'Deep SVDD', tables: ['main'], ...NONE, svdd: true },
  IAEAD: { label: 'IAEAD', tables: ['main'], ...NONE, decoder: true, svdd: true },
  'DSVDD-KL': { label: 'DSVDD-KL', tables: ['ablation'], ...NONE, kl: true, svdd: true },
  DLSVDD: { label: 'DLSVDD', tables: ['ablation'], ...NONE, lstm: true, svdd: true, gates: ALL_GATES },
  'DLSVDD-KL': {
    label: 'DLSVDD-KL',
    tables: ['ablation'],
    ...NONE,
    lstm: true,
    kl: true,
    svdd: true,
    gates: ALL_GATES,
  },
  'IAE-KL': { label: 'IAE-KL', tables: ['ablation'], ...NONE, decoder: true, kl: true, svdd: true },
  'IAE-LSTM': {
    label: 'IAE-LSTM',
    tables: ['ablation'],
    ...NONE,
    lstm: true,
    decoder: true,
    svdd: true,
    gates: ALL_GATES,
  },
  'IAE-LSTM-KL': {
    label: 'IAE-LSTM-KL',
    tables: ['main', 'ablation', 'gates'],
    lstm: true,
    decoder: true,
    kl: true,
    svdd: true,
    gates: ALL_GATES,
  },
  // Table VII: gate ablations of IAE-LSTM-KL (the gate is replaced by 1).
  'IAE-LSTM-KL-noInputGate': {
    label: 'IAE-LSTM-KL-noInputGate',
    tables: ['gates'],
    lstm: true,
    decoder: true,
    kl: true,
    svdd: true,
    gates: { input: false, output: true },
    gateLabel: 'w/o input gate',
  },
  'IAE-LSTM-KL-noOutputGate': {
    label: 'IAE-LSTM-KL-noOutputGate',
    tables: ['gates'],
    lstm: true,
    decoder: true,
    kl: true,
    svdd: true,
    gates: { input: true, output: false },
    gateLabel: 'w/o output gate',
  },
  'IAE-LSTM-KL-noGates': {
    label: 'IAE-LSTM-KL-noGates',
    tables: ['gates'],
    lstm: true,
    decoder: true,
    kl: true,
    svdd: true,
    gates: { input: false, output: false },
    gateLabel: 'w/o input and output gates',
  },
} as const satisfies Record<string, ModelTraits>;

export type ModelName = keyof typeof TABLE;

export const MODEL_TRAITS: Readonly<Record<ModelName, ModelTraits>> = TABLE;

/** The models of the table, in its (the paper's row) order: schema.ts's `ModelName` enum. */
export const MODEL_NAMES = Object.keys(TABLE) as [ModelName, ...ModelName[]];

/** The models with their own training (src/models/baselines builds one of each). */
export type BaselineName = { [K in ModelName]: (typeof TABLE)[K] extends { baseline: true } ? K : never }[ModelName];

export function modelTraits(model: ModelName): ModelTraits {
  return MODEL_TRAITS[model];
}

/** Position of a model's rows in every table and figure. */
export function rowOrder(model: ModelName): number {
  return MODEL_NAMES.indexOf(model);
}

/** The models that are rows of a paper table, in row order. */
export function modelsOfTable(kind: TableKind): ModelName[] {
  return MODEL_NAMES.filter((m) => MODEL_TRAITS[m].tables.includes(kind));
}

/**
 * Position of a model in Table VII: row order, except that the full model
 * (the one without a gate label) comes last, as the paper prints it.
 */
export function gateOrder(model: ModelName): number {
  return MODEL_TRAITS[model].gateLabel === undefined ? MODEL_NAMES.length : rowOrder(model);
}

/** The scores a model can be evaluated with. */
export function modelScores(model: ModelName): Score[] {
  const t = MODEL_TRAITS[model];
  if (t.baseline) return [...t.scores];
  const scores: Score[] = [];
  if (t.svdd) scores.push('svdd');
  if (t.decoder) scores.push('rec');
  if (t.svdd && t.decoder) scores.push('svdd+rec');
  return scores;
}

/** Whether a model pretrains its autoencoder (training.pretrainEpochs) before its main phase. */
export function modelPretrains(model: ModelName): boolean {
  const t = MODEL_TRAITS[model];
  return t.baseline ? t.pretrains : true;
}

/** The paper's label: "IAE-LSTM-KL(h)", "CAE". */
export function modelLabel(model: ModelName, boundary?: 'hard' | 'soft'): string {
  const base = MODEL_TRAITS[model].label;
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
