// The training folder's public face: one trial of the recipe, and its parts.
export { runTrial, trialSettings, computeCenter, CENTER_EPS } from './trial.js';
export type { RunTrialOptions, TrialSettings } from './trial.js';
export { Adam } from './adam.js';
export type { AdamOptions } from './adam.js';
export { NonFiniteLossError } from './errors.js';
export {
  pretrainKey,
  pretrainPath,
  loadPretrained,
  savePretrained,
  trialPretrainKey,
  checkPretrainEntry,
  writePretrainEntry,
  PRETRAIN_FORMAT,
} from './pretrain-cache.js';
export type { PretrainKey, LoadResult } from './pretrain-cache.js';
export { scoreImages, scoreBaseline, combineScores, aurocs, minMaxScale } from './scores.js';
