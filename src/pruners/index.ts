export { decide, nanPercentile, promotable, rungEpoch, type Curve, type Decision, type Peer } from './decide.js';
export { pruningGroupKey, TUNED_AXES } from './group.js';
export { storagePruner, type TrialPruner } from './pruner.js';
