// The messages the pool carries: defined by training (src/training/messages.ts),
// which the pool runs; re-exported here as the pool's public face.
export type { Emit, Phase, Progress, ShouldStop, Step, TrialResult, TrialTask } from '../training/messages.js';
export { STEP_TEXT } from '../training/messages.js';
