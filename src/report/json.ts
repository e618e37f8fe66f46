// JSON: the report model itself, full precision, with a format tag so a
// reader can tell what it holds and which layout version.
import type { ReportModel } from './types.js';

export const REPORT_JSON_FORMAT = 'iae-sweep/report';
export const REPORT_JSON_VERSION = 1;

export function renderJson(model: ReportModel): string {
  return `${JSON.stringify({ format: REPORT_JSON_FORMAT, formatVersion: REPORT_JSON_VERSION, ...model }, null, 2)}\n`;
}
