// The screen regions as components, one module per region: each one a call
// to its pure builder in ../views, so what they print is decided (and
// tested) there. This file is their one entry.
export { Header } from './Header.js';
export { RunningTrials } from './RunningTrials.js';
export { BestTable } from './BestTable.js';
export { AblationGrid } from './AblationGrid.js';
export { FailedTrials } from './FailedTrials.js';
export { Footer } from './Footer.js';
export { LogLine } from './LogLine.js';
export { Rule } from './Rule.js';
