// The report's public face: the model (pure), its renderers, the paper's values.
export * from './types.js';
export {
  buildReport,
  finalAuroc,
  aurocHistory,
  readStudyDefinition,
  selectionCaption,
  type ReportInput,
} from './model.js';
export { renderMarkdown, markdownTable, markdownCell } from './markdown.js';
export { renderTablesCsv, renderGridsCsv, renderCurvesCsv } from './csv.js';
export { renderJson, REPORT_JSON_FORMAT, REPORT_JSON_VERSION } from './json.js';
export { fig4, fig5, gridFigure, figures, fmtParam, HEAT_SCALES, type Figure, type HeatScale } from './figures.js';
export { linePlot, heatmap, viridis, type Series, type LinePlotOptions, type HeatmapOptions } from './svg.js';
export { svgToPng, pngSize, loadResvg } from './png.js';
export { fmt3, fmtDiff, fmtPercent, cellMarks, provenanceLine, visibleColumns, columnHeader } from './format.js';
export { classNames, className, datasetTitle } from './classes.js';
export { PAPER_TABLES, paperValue, type PaperTable, type PaperRow } from './paper-values.js';
export { hostsOf, hostLines, trialHost, type HostActivity } from './hosts.js';
