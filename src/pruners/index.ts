export { decide, nanPercentile, promotable, rungEpoch, type Curve, type Decision, type Peer } from './decide.js';
export { pruningGroupKey, TUNED_AXES } from './group.js';
export { storagePruner, type TrialPruner } from './pruner.js';
export {
  picksAfterReplay,
  replayPruner,
  type GroupPick,
  type ReplayOptions,
  type ReplayOutcome,
  type ReplayTrial,
} from './replay.js';
