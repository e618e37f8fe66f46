// The study file: one zod schema per concept, and the TypeScript type of the
// same name inferred from it, so the file format and the code cannot drift.
import { z } from 'zod';
import { DATASET_NAMES } from './datasets.js';
import { MODEL_NAMES, SCORE_NAMES } from './models.js';

/** Every model of the paper's tables: the keys of the one model table (models.ts), in the paper's row order. */
export const ModelName = z.enum(MODEL_NAMES);
export type ModelName = z.infer<typeof ModelName>;

export const Boundary = z.enum(['hard', 'soft']);
export type Boundary = z.infer<typeof Boundary>;

/** Anomaly scores a trial can be evaluated with (docs/recipe.md, "Scores"). */
export const Score = z.enum(SCORE_NAMES);
export type Score = z.infer<typeof Score>;

export const LstmMode = z.enum(['cell', 'sequence']);
export type LstmMode = z.infer<typeof LstmMode>;

export const KlForm = z.enum(['authors', 'gaussian']);
export type KlForm = z.infer<typeof KlForm>;

export const MinMax = z.enum(['train', 'none']);
export type MinMax = z.infer<typeof MinMax>;

export const BackendChoice = z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendChoice = z.infer<typeof BackendChoice>;

/** Every data set: the keys of the one data-set table (datasets.ts). */
export const DatasetName = z.enum(DATASET_NAMES);
export type DatasetName = z.infer<typeof DatasetName>;

const positiveInt = z.number().int().positive();
const finite = z.number().finite();

export const Dataset = z.strictObject({
  name: DatasetName,
  /** Where the files are; when absent each reader searches its usual places. */
  dir: z.string().min(1).optional(),
  /** For WTBI: the CSV file. */
  file: z.string().min(1).optional(),
  /** Normal-class training images kept per trial (seeded subsample); all when absent. */
  trainSize: positiveInt.optional(),
  /** Test images kept per trial (seeded subsample, same for every trial of a seed); all when absent. */
  testSize: positiveInt.optional(),
});
export type Dataset = z.infer<typeof Dataset>;

/**
 * The recipe's two networks: Deep SVDD's LeNet (32x32 data: conv k5 + maxpool
 * blocks, Linear head to the latent) and the MVTec AD network (64x64 data:
 * stride-2 conv k3 blocks, z = the flattened 256x4x4 features, no head).
 */
export const NetworkName = z.enum(['lenet', 'mvtec']);
export type NetworkName = z.infer<typeof NetworkName>;

/** Network sizes. The paper's defaults; tests and quick studies shrink them. */
export const Arch = z.strictObject({
  /** Which network; absent: chosen from the data, 'mvtec' for 64x64 images, 'lenet' otherwise. */
  network: NetworkName.optional(),
  /**
   * Encoder conv channels; the decoder mirrors them. With the MVTec network
   * this default stands for the recipe's [96, 128, 256, 256].
   */
  channels: z.array(positiveInt).min(1).max(6).default([32, 64, 128]),
  /**
   * Latent size z of the LeNet's Linear head; must be a multiple of 16 (the
   * decoder reshapes it to latent/16 x 4 x 4). Unused by the MVTec network,
   * whose z is the flattened encoder output (last channels x 4 x 4).
   */
  latent: positiveInt
    .refine((v) => v % 16 === 0, { message: 'must be a multiple of 16 (the decoder reshapes z to latent/16 x 4 x 4)' })
    .default(128),
});
export type Arch = z.infer<typeof Arch>;

/**
 * Upper bounds of the training settings, checked before anything is written.
 * The paper trains a few hundred epochs; 10 000 already means days per trial
 * on a CPU, so more is taken for a typo (1e9 would never finish).
 */
export const MAX_EPOCHS = 10_000;
/**
 * A batch is one tensor with its activations: 4096 images of 64x64x3 through
 * the MVTec network are gigabytes, and larger batches than the paper's 64..200
 * only change the optimisation, not the model.
 */
export const MAX_BATCH_SIZE = 4096;
const epochs = (min: 0 | 1) =>
  (min === 0 ? z.number().int().nonnegative() : positiveInt).max(MAX_EPOCHS, {
    message: `at most ${MAX_EPOCHS} epochs (the paper trains a few hundred; more would run for days per trial)`,
  });

export const Training = z.strictObject({
  pretrainEpochs: epochs(0).default(200),
  jointEpochs: epochs(1).default(20),
  batchSize: positiveInt
    .max(MAX_BATCH_SIZE, {
      message: `at most ${MAX_BATCH_SIZE} (one batch and its activations are held in memory at once)`,
    })
    .default(64),
  lr: z.number().positive().default(1e-4),
  weightDecay: z.number().nonnegative().default(0.5e-6),
  /** Adam with amsgrad, as the authors' code. */
  amsgrad: z.boolean().default(true),
  /** Soft boundary: epochs before R starts being updated. */
  warmupEpochs: z.number().int().nonnegative().default(10),
  /** Joint epoch at which lr is multiplied by 0.1 (recipe: 250). */
  lrMilestone: positiveInt.default(250),
  /**
   * Score the test set after every k-th joint epoch (and always after the
   * last). Absent means every epoch; optional without a default so studies
   * written before it keep their stored fixed settings.
   */
  evalEvery: positiveInt.optional(),
});
export type Training = z.infer<typeof Training>;

const nonEmpty = <T extends z.ZodTypeAny>(t: T) => z.array(t).min(1, { message: 'needs at least one value' });

/**
 * The grid axes. Every axis is a list of values; absent axes take one default.
 * Axes that do not apply to a point (nu for hard boundaries, boundary for models
 * without SVDD, lambdaKl for models without KL ...) are not multiplied into it.
 */
export const Grid = z.strictObject({
  model: nonEmpty(ModelName),
  normalClass: nonEmpty(z.number().int().nonnegative()),
  boundary: nonEmpty(Boundary).default(['hard']),
  lambdaKl: nonEmpty(finite.nonnegative()).default([0.001]),
  lambdaRec: nonEmpty(finite.nonnegative()).default([1]),
  nu: nonEmpty(finite.gt(0).lte(1)).default([0.1]),
  seed: nonEmpty(z.number().int().nonnegative()).default([0]),
  contamination: nonEmpty(finite.min(0).max(0.25)).default([0]),
  'lstm.mode': nonEmpty(LstmMode).default(['cell']),
  'kl.form': nonEmpty(KlForm).default(['authors']),
  minmax: nonEmpty(MinMax).default(['train']),
});
export type Grid = z.infer<typeof Grid>;

/**
 * Early stopping of unpromising grid points, after Optuna's pruners (the
 * decision logic and its comparison group are in src/pruners/). Not a fixed
 * setting: it decides which points run to the end, not how a trial trains.
 */
export const Pruner = z.discriminatedUnion('kind', [
  z.strictObject({
    /** Optuna's MedianPruner: prune when the trial's best AUROC so far is below the median of its peers' at this epoch. */
    kind: z.literal('median'),
    /** No pruning at joint epochs <= this (Optuna's n_warmup_steps). */
    warmupEpochs: z.number().int().nonnegative().default(0),
    /** Finished (COMPLETE) peers of the group needed before any pruning (Optuna's n_startup_trials, per group). */
    minPeers: positiveInt.default(5),
  }),
  z.strictObject({
    /** Optuna's SuccessiveHalvingPruner (asynchronous successive halving). */
    kind: z.literal('successive-halving'),
    /** Joint epochs before the first rung (Optuna's min_resource). */
    minResource: positiveInt.default(1),
    /** Rungs at minResource * reductionFactor^(minEarlyStoppingRate + r); the top 1/reductionFactor go on. */
    reductionFactor: z.number().int().min(2).default(4),
    minEarlyStoppingRate: z.number().int().nonnegative().default(0),
    /** Trials of the group that must reach a rung before it decides (Optuna's bootstrap_count). */
    bootstrapCount: z.number().int().nonnegative().default(0),
  }),
]);
export type Pruner = z.infer<typeof Pruner>;

/** A grid point named for the "default" selection of the export (no test labels). */
export const DefaultPoint = z.strictObject({
  lambdaKl: finite.nonnegative().optional(),
  lambdaRec: finite.nonnegative().optional(),
  nu: finite.gt(0).lte(1).optional(),
});
export type DefaultPoint = z.infer<typeof DefaultPoint>;

/** Longest study name: it becomes a file name, with a suffix (".sqlite3") and room for temp-file suffixes. */
export const MAX_NAME_LENGTH = 100;

export const Study = z.strictObject({
  /** Study name: also the default database file name. */
  name: z
    .string()
    .max(MAX_NAME_LENGTH, {
      message: `at most ${MAX_NAME_LENGTH} characters (it names the database file db/<name>.sqlite3; file names are limited to 255 bytes)`,
    })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
      message: 'use letters, digits, ".", "_" and "-" only (it names the database file)',
    }),
  description: z.string().optional(),
  dataset: Dataset,
  grid: Grid,
  training: Training.default(Training.parse({})),
  arch: Arch.default(Arch.parse({})),
  objective: Score.default('svdd'),
  /**
   * Parallel trials. Default: one worker thread per core for wasm/cpu (wasm is
   * single-threaded in Node), one process per GPU for tensorflow-gpu, one
   * process for tensorflow (it uses every core itself).
   */
  workers: positiveInt.max(64).optional(),
  backend: BackendChoice.default('auto'),
  /** SQLite file; default db/<name>.sqlite3 (relative to the working directory). */
  storage: z.string().min(1).optional(),
  /** Cache autoencoder pretraining across grid points that share it. */
  pretrainCache: z.boolean().default(true),
  defaultPoint: DefaultPoint.optional(),
  /** Prune unpromising trials (absent: every trial runs all its epochs). */
  pruner: Pruner.optional(),
  /**
   * Seconds one trial may run; past it the trial is aborted, its worker
   * thread (or process) replaced and the trial FAILs with the reason. Absent:
   * no limit (a trial's cost varies tenfold with cached pretraining, so no
   * default can be derived before it runs); a hung worker is still caught by
   * its missing heartbeats (--stale-after). Run policy, not a fixed setting.
   */
  trialTimeout: z
    .number()
    .positive()
    .max(30 * 24 * 3600)
    .optional(),
  /**
   * Times a grid point whose trial FAILed is queued again (Optuna's
   * RetryFailedTrialCallback max_retry): a point runs at most 1 + maxRetries
   * times. Counts the trial's own failures (its error, timeout, hung or crashed
   * worker), not a sweep process that was killed. Absent: 2.
   */
  maxRetries: z.number().int().nonnegative().max(1000).optional(),
  /** Expected run time, stated by the study's author (shown, not used). */
  expectedRuntime: z.record(z.string(), z.string()).optional(),
});
export type Study = z.infer<typeof Study>;
/** A study as written in the file, before defaults. */
export type StudyInput = z.input<typeof Study>;
