// Every screen region as lines of segments, from a snapshot and a size. Pure:
// what the terminal shows (which columns survive, what is cut, what is
// highlighted) is decided in ./views, one module per region, and tested
// there; components print the lines. This file is their one entry.
export { clipLine, type Lines } from './views/lines.js';
export { backendSummary, classText, labelOf, tunedText } from './views/words.js';
export { headerLines } from './views/header.js';
export { phaseText, runningLines } from './views/running.js';
export { bestLines, cellText, marksLegend } from './views/best.js';
export { gridLines, navigateGrids, stepValue, type GridNav, type GridWant } from './views/grid.js';
export { failedLines } from './views/failed.js';
export { confirmLine, footerLine, VIEWS, type ViewName } from './views/footer.js';
export { logLine } from './views/log.js';
