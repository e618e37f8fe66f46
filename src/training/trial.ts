// One trial of the recipe (docs/recipe.md, "Training"):
//   1. seeded init, then pretraining of the autoencoder on reconstruction alone
//      (or its weights from the pretraining cache);
//   2. the center c = mean z over the training set (eval mode), |c_i| < 0.1 pushed to ±0.1;
//   3. joint training of svdd + lambdaRec rec + lambdaKl kl, scoring the test set after every epoch.
// The Table I baselines (model.baseline) replace step 3 by their own loss and
// scores, and skip step 1 unless they use the pretrained autoencoder
// (modelPretrains; only Gaussian AD does).
// Every tensor made here is disposed before returning or throwing.
import { threadId } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '../engine/index.js';
import { DatasetError } from '../errors/index.js';
import {
  buildModel,
  combineLosses,
  modelPretrains,
  klLoss,
  normals,
  permutation,
  quantile,
  reconstructionMse,
  rngStream,
  squaredDistance,
  svddHard,
  svddSoft,
  EVAL,
  TRAIN,
  type LossTerms,
  type Model,
  type Rng,
} from '../models/index.js';
import type { TrialData } from '../data/types.js';
import type { Emit, Phase, ShouldStop, TrialResult, TrialTask } from './messages.js';
import { Grid, type Boundary, type KlForm, type LstmMode, type Score } from '../study/schema.js';
import { objectiveOf, resultAttrs, type TrialFacts } from '../trial/attrs.js';
import { Adam } from './adam.js';
import { identityOrder, Images } from './batches.js';
import { NonFiniteLossError } from './errors.js';
import { loadPretrained, savePretrained, trialPretrainKey, type PretrainKey } from './pretrain-cache.js';
import { aurocs, combineScores, scoreBaseline, scoreImages } from './scores.js';

// No abort signal: a trial interrupted (Ctrl-C, a timeout, a hung worker) is
// stopped by ending its worker thread (the pool does that), so nothing inside
// a trial looks for one. Stopping early by the pruner's verdict is the one
// stop a trial takes part in: it asks after each scored joint epoch and ends
// normally, so its worker thread (TensorFlow.js loaded, the data set decoded)
// stays for the next trial and no epoch is trained past the verdict.
export interface RunTrialOptions {
  /** Called at every batch (training, center, scoring): the worker's sign of life. */
  readonly alive?: () => void;
  /** Asked after each scored joint epoch but the last: stop here? (the pruner). */
  readonly shouldStop?: ShouldStop;
}

/** The grid point's settings with the schema's defaults for the axes that do not apply to it. */
export interface TrialSettings {
  readonly seed: number;
  readonly boundary: Boundary;
  readonly nu: number;
  readonly lambdaRec: number;
  readonly lambdaKl: number;
  readonly klForm: KlForm;
  readonly lstmMode: LstmMode;
}

/**
 * The grid's defaults, from the schema alone: each axis's one default value
 * (the model and class are required axes, so any value stands in for them).
 */
const GRID_DEFAULTS = Grid.parse({ model: ['CAE'], normalClass: [0] });

export function trialSettings(task: TrialTask): TrialSettings {
  const p = task.params;
  const d = GRID_DEFAULTS;
  return {
    seed: p.seed,
    boundary: p.boundary ?? d.boundary[0]!,
    nu: p.nu ?? d.nu[0]!,
    // CAE has no lambdaRec axis: its loss is the reconstruction alone.
    lambdaRec: p.lambdaRec ?? d.lambdaRec[0]!,
    lambdaKl: p.lambdaKl ?? d.lambdaKl[0]!,
    klForm: p['kl.form'] ?? d['kl.form'][0]!,
    lstmMode: p['lstm.mode'] ?? d['lstm.mode'][0]!,
  };
}

/** Deep SVDD's eps: center coordinates closer to 0 than this are pushed out to it. */
export const CENTER_EPS = 0.1;

type PretrainCacheStatus = 'off' | 'hit' | 'miss' | 'rebuilt';

interface Ctx {
  readonly task: TrialTask;
  readonly s: TrialSettings;
  readonly emit: Emit;
  readonly shouldStop: ShouldStop | undefined;
  readonly train: Images;
  readonly test: Images;
  readonly testY: Uint8Array;
}

export async function runTrial(
  task: TrialTask,
  data: TrialData,
  emit: Emit,
  opts: RunTrialOptions = {},
): Promise<TrialResult> {
  ensureGradients();
  const shape = [data.height, data.width, data.channels] as const;
  const ctx: Ctx = {
    task,
    s: trialSettings(task),
    emit,
    shouldStop: opts.shouldStop,
    train: new Images(data.trainX, data.nTrain, shape, opts.alive),
    test: new Images(data.testX, data.nTest, shape, opts.alive),
    testY: data.testY,
  };
  if (data.testY.length !== data.nTest)
    throw new Error(`${data.testY.length} test labels for ${data.nTest} test images`);
  if (data.nTrain === 0 || data.nTest === 0) {
    throw new DatasetError(
      `the trial has ${data.nTrain} training and ${data.nTest} test images; it needs both`,
      'dataset',
    );
  }
  const owned: { dispose(): void }[] = [];
  try {
    const t0 = performance.now();
    const { model, cache, cacheError, cacheKey } = await pretrainedModel(ctx, owned);
    const t1 = performance.now();
    const center = model.traits.svdd ? computeCenter(model, ctx.train, task.training.batchSize) : null;
    if (center) owned.push(center);
    const joint = model.baseline
      ? await trainBaseline(ctx, model, owned)
      : await trainJointly(ctx, model, center, owned);
    const t2 = performance.now();

    // The one objective rule (the scheduler applies the same to record `objective_score`).
    const objective = objectiveOf(task.params.model, task.objective);
    const facts: TrialFacts = {
      network: model.structure.network,
      pretrainCache: cache,
      pretrainSeconds: round3((t1 - t0) / 1000),
      jointSeconds: round3((t2 - t1) / 1000),
      evalSeconds: round3(joint.evalSeconds),
      trainedParameters: model.trainable('joint').reduce((n, v) => n + v.size, 0),
      workerThread: threadId,
      ...(objective !== task.objective
        ? {
            objectiveNote: `${task.params.model} has no "${task.objective}" score; the value is its "${objective}" AUROC`,
          }
        : {}),
      ...(ctx.s.boundary === 'soft' && model.traits.svdd ? { radius: joint.radius } : {}),
      ...(cacheError ? { pretrainCacheError: cacheError } : {}),
      ...(cacheKey ? { pretrainCacheKey: cacheKey } : {}),
      ...(!modelPretrains(task.params.model) && task.training.pretrainEpochs > 0
        ? {
            pretrainNote: `${task.params.model} trains from its seeded init for jointEpochs; pretrainEpochs is not used`,
          }
        : {}),
    };
    return {
      value: joint.auroc[objective]!,
      auroc: joint.auroc,
      attrs: resultAttrs(facts),
      ...(joint.stoppedAt !== undefined ? { stoppedAt: joint.stoppedAt } : {}),
    };
  } finally {
    for (const o of owned.reverse()) o.dispose();
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** A built model with pretrained weights: from the cache when it has them, else trained (and cached). */
async function pretrainedModel(
  ctx: Ctx,
  owned: { dispose(): void }[],
): Promise<{ model: Model; cache: PretrainCacheStatus; cacheError?: string; cacheKey?: string }> {
  const { task, s } = ctx;
  const epochs = modelPretrains(task.params.model) ? task.training.pretrainEpochs : 0;
  const build = (initialise: boolean) => {
    const m = buildModel(task.params.model, {
      arch: task.arch,
      input: { height: ctx.train.shape[0], width: ctx.train.shape[1], channels: ctx.train.shape[2] },
      lstmMode: s.lstmMode,
      seed: s.seed,
      initialise,
    });
    owned.push(m);
    return m;
  };
  const useCache = task.cacheDir !== null && epochs > 0;
  ctx.emit({ type: 'step', step: useCache ? 'cache' : 'model' });
  if (!useCache) {
    const model = build(true);
    if (epochs > 0) await pretrain(ctx, model, epochs);
    return { model, cache: 'off' };
  }

  // The weights are about to be loaded: skip the (for the paper's LSTM, costly) init.
  const probe = build(false);
  // The scheduler computes the same key for this trial (trialPretrainKey) to share the entry.
  const key = trialPretrainKey(task, probe.structure.input)!;
  const loaded = await loadPretrained(task.cacheDir!, key, probe.params);
  if (loaded.status === 'hit') {
    ctx.emit({ type: 'phase', phase: 'pretrain', epochs, cached: true });
    return { model: probe, cache: 'hit', cacheKey: key.key };
  }
  // Freed now, not at the end: at the paper's sizes it holds hundreds of MB.
  owned.splice(owned.indexOf(probe), 1);
  probe.dispose();
  const model = build(true);
  await pretrain(ctx, model, epochs);
  const writeError = await saveQuietly(task.cacheDir!, key, model);
  const readError = loaded.status === 'unreadable' ? loaded.reason : undefined;
  const cacheError = [readError, writeError].filter(Boolean).join('; ') || undefined;
  return {
    model,
    cache: loaded.status === 'corrupt' ? 'rebuilt' : 'miss',
    cacheError,
    cacheKey: writeError ? undefined : key.key,
  };
}

/** A cache that cannot be read or written (full disk, permissions) costs the reuse, not the trial: the error goes to attrs. */
async function saveQuietly(cacheDir: string, key: PretrainKey, model: Model): Promise<string | undefined> {
  try {
    await savePretrained(cacheDir, key, model.params);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function pretrain(ctx: Ctx, model: Model, epochs: number): Promise<void> {
  const { training } = ctx.task;
  ctx.emit({ type: 'phase', phase: 'pretrain', epochs });
  const vars = model.trainable('pretrain');
  const opt = new Adam(vars, { lr: training.lr, weightDecay: training.weightDecay, amsgrad: training.amsgrad });
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const losses = await runEpoch(ctx, 'pretrain', epoch, (x) =>
        trainStep(vars, opt, () => {
          const rec = reconstructionMse(x, model.reconstruct(model.embed(x, TRAIN), TRAIN));
          return { total: rec, rec };
        }),
      );
      ctx.emit({ type: 'epoch', phase: 'pretrain', epoch, epochs, losses });
    }
  } finally {
    opt.dispose();
  }
}

/** Mean z over the training set in eval mode (fixed order), as Deep SVDD's init_center_c. */
export function computeCenter(model: Model, images: Images, batchSize: number): tf.Tensor1D {
  let sum: Float64Array | null = null;
  const order = identityOrder(images.n);
  for (const [start, end] of images.ranges(batchSize)) {
    const zs = tf.tidy(() => tf.sum(model.embed(images.batch(order, start, end), EVAL), 0));
    const v = zs.dataSync();
    zs.dispose();
    sum ??= new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) sum[i] += v[i];
  }
  const c = Float32Array.from(sum!, (v) => {
    const m = v / images.n;
    return Math.abs(m) < CENTER_EPS ? (m < 0 ? -CENTER_EPS : CENTER_EPS) : m;
  });
  return tf.tensor1d(c);
}

interface JointOutcome {
  readonly auroc: Partial<Record<Score, number>>;
  readonly radius: number;
  /** Time spent scoring the test set (what `training.evalEvery` saves). */
  readonly evalSeconds: number;
  /** The epoch after which the pruner stopped the phase, if it did. */
  readonly stoppedAt?: number;
}

/** After a scored epoch: whether the scheduler says to stop here (never after the last, which ends anyway). */
async function stopsAfter(ctx: Ctx, epoch: number, epochs: number): Promise<boolean> {
  return epoch < epochs && ctx.shouldStop !== undefined && (await ctx.shouldStop(epoch));
}

/** Whether the test set is scored after this joint epoch: every `evalEvery`-th, and always the last. */
export function evaluatesAt(epoch: number, epochs: number, evalEvery = 1): boolean {
  return epoch === epochs || epoch % evalEvery === 0;
}

async function trainJointly(
  ctx: Ctx,
  model: Model,
  center: tf.Tensor1D | null,
  owned: { dispose(): void }[],
): Promise<JointOutcome> {
  const { training } = ctx.task;
  const { s } = ctx;
  const epochs = training.jointEpochs;
  const vars = model.trainable('joint');
  const opt = new Adam(vars, { lr: training.lr, weightDecay: training.weightDecay, amsgrad: training.amsgrad });
  owned.push(opt);
  const klRng: Rng = rngStream(s.seed, 'kl-target');
  const soft = s.boundary === 'soft';
  let radius = 0;
  let auroc: Partial<Record<Score, number>> = {};
  let evalMs = 0;
  ctx.emit({ type: 'phase', phase: 'joint', epochs });

  for (let epoch = 1; epoch <= epochs; epoch++) {
    opt.lr = epoch > training.lrMilestone ? training.lr * 0.1 : training.lr;
    const updateRadius = soft && epoch > training.warmupEpochs;
    const losses = await runEpoch(ctx, 'joint', epoch, (x) => {
      const out = trainStep(vars, opt, () => {
        const z = model.embed(x, TRAIN);
        const terms: { -readonly [K in keyof LossTerms]: LossTerms[K] } = {};
        let dist: tf.Tensor1D | undefined;
        if (model.traits.svdd) {
          dist = squaredDistance(z, center!);
          terms.svdd = soft ? svddSoft(dist, radius, s.nu) : svddHard(dist);
        }
        if (model.traits.decoder) terms.rec = reconstructionMse(x, model.reconstruct(z, TRAIN));
        if (model.traits.kl) {
          const [b, d] = z.shape;
          terms.kl = klLoss(s.klForm, z, () => tf.tensor2d(normals(b * d, klRng), [b, d]));
        }
        const total = combineLosses(terms, s);
        return { total, ...terms, ...(dist ? { dist } : {}) };
      });
      const { dist, ...scalars } = out;
      // As Deep SVDD: R from this batch's distances (before the step), used from the next batch on.
      if (updateRadius && dist) radius = quantile(Float64Array.from(dist, Math.sqrt), 1 - s.nu);
      return soft && model.traits.svdd ? { ...scalars, R: radius } : scalars;
    });
    if (!evaluatesAt(epoch, epochs, training.evalEvery)) {
      ctx.emit({ type: 'epoch', phase: 'joint', epoch, epochs, losses });
      continue;
    }
    const e0 = performance.now();
    const raw = scoreImages(model, ctx.test, training.batchSize, center, soft ? radius : 0);
    auroc = aurocs(combineScores(raw, model.scores), ctx.testY);
    evalMs += performance.now() - e0;
    ctx.emit({ type: 'epoch', phase: 'joint', epoch, epochs, losses, auroc });
    if (await stopsAfter(ctx, epoch, epochs)) return { auroc, radius, evalSeconds: evalMs / 1000, stoppedAt: epoch };
  }
  return { auroc, radius, evalSeconds: evalMs / 1000 };
}

/**
 * A baseline's main phase: its own loss for jointEpochs (the same optimiser
 * and lr schedule as the recipe's joint phase), then after each epoch its fit
 * (Gaussian AD) and its scores on the test set.
 */
async function trainBaseline(ctx: Ctx, model: Model, owned: { dispose(): void }[]): Promise<JointOutcome> {
  const objective = model.baseline!;
  const { training } = ctx.task;
  const epochs = training.jointEpochs;
  const vars = model.trainable('joint');
  const opt = new Adam(vars, { lr: training.lr, weightDecay: training.weightDecay, amsgrad: training.amsgrad });
  owned.push(opt);
  let auroc: Partial<Record<Score, number>> = {};
  let evalMs = 0;
  ctx.emit({ type: 'phase', phase: 'joint', epochs });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    opt.lr = epoch > training.lrMilestone ? training.lr * 0.1 : training.lr;
    const losses = await runEpoch(ctx, 'joint', epoch, (x) => trainStep(vars, opt, () => objective.loss(x)));
    if (!evaluatesAt(epoch, epochs, training.evalEvery)) {
      ctx.emit({ type: 'epoch', phase: 'joint', epoch, epochs, losses });
      continue;
    }
    const e0 = performance.now();
    if (objective.fit) {
      const order = identityOrder(ctx.train.n);
      objective.fit((visit) => {
        for (const [start, end] of ctx.train.ranges(training.batchSize)) {
          const x = ctx.train.batch(order, start, end);
          try {
            visit(x);
          } finally {
            x.dispose();
          }
        }
      });
    }
    const raw = scoreBaseline(model, ctx.test, training.batchSize);
    auroc = aurocs(combineScores(raw, model.scores), ctx.testY);
    evalMs += performance.now() - e0;
    ctx.emit({ type: 'epoch', phase: 'joint', epoch, epochs, losses, auroc });
    if (await stopsAfter(ctx, epoch, epochs)) return { auroc, radius: 0, evalSeconds: evalMs / 1000, stoppedAt: epoch };
  }
  return { auroc, radius: 0, evalSeconds: evalMs / 1000 };
}

/**
 * One pass over the training set in a seeded order (its own stream per phase
 * and epoch, so a cached pretraining leaves the joint phase unchanged).
 * `step` trains on one batch and returns its loss terms; the epoch's are the
 * means over batches, except R, which is its value at the end.
 */
async function runEpoch(
  ctx: Ctx,
  phase: Phase,
  epoch: number,
  step: (x: tf.Tensor4D) => Record<string, number>,
): Promise<Record<string, number>> {
  const order = permutation(ctx.train.n, rngStream(ctx.s.seed, `shuffle:${phase}:${epoch}`));
  const sums: Record<string, number> = {};
  const ranges = ctx.train.ranges(ctx.task.training.batchSize);
  let last: Record<string, number> = {};
  for (let b = 0; b < ranges.length; b++) {
    const x = ctx.train.batch(order, ranges[b][0], ranges[b][1]);
    let values: Record<string, number>;
    try {
      values = step(x);
    } finally {
      x.dispose();
    }
    if (Object.values(values).some((v) => !Number.isFinite(v)))
      throw new NonFiniteLossError(phase, epoch, b + 1, values);
    for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v;
    last = values;
  }
  const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / ranges.length]));
  if ('R' in last) means.R = last.R;
  return means;
}

/**
 * Gradients of `f().total` for `vars`, one Adam step, and the values of every
 * output read back: scalars as numbers, `dist` as an array. BN running
 * statistics update inside `f` (train mode).
 */
function trainStep(
  vars: tf.Variable[],
  opt: Adam,
  f: () => { total: tf.Scalar } & Record<string, tf.Tensor>,
): Record<string, number> & { dist?: Float32Array } {
  const kept: Record<string, tf.Tensor> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = f();
    for (const [k, t] of Object.entries(out)) if (k !== 'total') kept[k] = tf.keep(t);
    return out.total;
  }, vars);
  try {
    opt.step(grads);
    // One read-back for all scalars: each read is a device sync.
    const names = Object.keys(kept).filter((k) => k !== 'dist');
    const packed = tf.tidy(() => tf.stack([value, ...names.map((k) => kept[k])]));
    const v = packed.dataSync();
    packed.dispose();
    const out: Record<string, number> & { dist?: Float32Array } = { total: v[0] };
    names.forEach((k, i) => (out[k] = v[i + 1]));
    if (kept.dist) out.dist = kept.dist.dataSync() as Float32Array;
    return out;
  } finally {
    tf.dispose([value, ...Object.values(grads), ...Object.values(kept)]);
  }
}
