// `sweep export`: the paper's tables and figures from a study's database.
// Opens the database read-only (a reader in WAL mode never blocks, and is
// never blocked by, a running sweep) and writes only under outDir.
import { writeFileSync } from 'node:fs';
import { fsReason, makeDirs } from '../../../fs/mkdirs.js';
import { UserInputError } from '../../../errors/index.js';
import { dirname, join, resolve } from 'node:path';
import type { FrozenTrial, StudySummary } from '../../../storage/index.js';
import type { Score } from '../../../study/schema.js';
import { openTargetReadonly } from '../../target.js';
import { projectVersion } from '../../version.js';
export { projectVersion };
import {
  buildReport,
  figures as allFigures,
  readStudyDefinition,
  renderCurvesCsv,
  renderGridsCsv,
  renderJson,
  renderMarkdown,
  renderTablesCsv,
  svgToPng,
  type HeatScale,
  type ReportModel,
  type Selection,
} from '../../../report/index.js';

export type ExportFormat = 'md' | 'csv' | 'json';

export interface ExportOptions {
  /** SQLite file of the study. */
  readonly db: string;
  /** Study name in that database. */
  readonly study: string;
  readonly outDir: string;
  readonly formats: readonly ExportFormat[];
  /**
   * One selection; when absent the export writes the oracle and the median
   * selection side by side (and the default point's, when the study names one),
   * so the paper-style oracle numbers never stand alone.
   */
  readonly select?: Selection;
  readonly score?: Score;
  readonly compare?: 'paper';
  /** SVG figures (and PNG where @resvg/resvg-js loads); default true. */
  readonly figures?: boolean;
  /** The heatmaps' colour scale (figures.ts); default the grid's own range. */
  readonly heatScale?: HeatScale;
  /** Also rasterise figures to PNG when possible; default true. */
  readonly png?: boolean;
  /** Project version; default: this package's package.json. */
  readonly version?: string;
  /** Git commit of the checkout; null or absent when unknown. */
  readonly commit?: string | null;
  /** Date stamped in the provenance; default now. */
  readonly now?: Date;
  /** Called as each file is written (the CLI lists them as they come, so a stopped export shows how far it got). */
  readonly onFile?: (path: string) => void;
}

export interface ExportResult {
  /** Every file written, in writing order. */
  readonly files: string[];
  /** True when figures were asked for and PNG could not be made (SVG only). */
  readonly pngUnavailable: boolean;
}

/** Reads the study and its trials read-only; throws typed errors naming the file. */
async function readStudy(db: string, name: string): Promise<{ summary: StudySummary; trials: FrozenTrial[] }> {
  const { storage, study } = await openTargetReadonly({ name, dbPath: db });
  try {
    return { summary: study, trials: await storage.getTrials(study.id) };
  } finally {
    await storage.close();
  }
}

export async function runExport(opts: ExportOptions): Promise<ExportResult> {
  const { summary, trials } = await readStudy(opts.db, opts.study);
  const meta = {
    version: opts.version ?? projectVersion(),
    commit: opts.commit ?? null,
    generatedAt: (opts.now ?? new Date()).toISOString(),
  };
  const selections: Selection[] = opts.select
    ? [opts.select]
    : readStudyDefinition(summary.systemAttrs)?.defaultPoint
      ? ['oracle', 'median', 'default']
      : ['oracle', 'median'];
  const models: ReportModel[] = selections.map((select) =>
    buildReport({ study: summary, trials, meta }, { select, score: opts.score, compare: opts.compare }),
  );

  const files: string[] = [];
  // A bad --out (a file in the path, no permission, /proc) is the user's to
  // fix: a typed error naming the path, exit 2, not an internal error.
  const outError = (e: unknown, path: string) =>
    new UserInputError(`cannot write the export to ${path}: ${fsReason(e)}; choose another --out folder`, '--out', { cause: e });
  try {
    makeDirs(opts.outDir);
  } catch (e) {
    throw outError(e, opts.outDir);
  }
  const write = (name: string, data: string | Uint8Array) => {
    const path = join(opts.outDir, name);
    try {
      makeDirs(dirname(path));
      writeFileSync(path, data);
    } catch (e) {
      throw outError(e, path);
    }
    files.push(path);
    opts.onFile?.(path);
  };
  const base = summary.name;
  const formats = [...new Set(opts.formats)];
  if (formats.includes('md')) write(`${base}.md`, renderMarkdown(models));
  if (formats.includes('csv')) {
    for (const m of models) write(`${base}.${m.selection.select}.csv`, renderTablesCsv(m));
    // The grids do not depend on the selection: one file.
    write(`${base}.grids.csv`, renderGridsCsv(models[0]!));
    for (const m of models) write(`${base}.curves.${m.selection.select}.csv`, renderCurvesCsv(m));
  }
  if (formats.includes('json')) for (const m of models) write(`${base}.${m.selection.select}.json`, renderJson(m));

  let pngUnavailable = false;
  if (opts.figures ?? true) {
    const seen = new Set<string>();
    for (const m of models) {
      for (const f of allFigures(m, { heatScale: opts.heatScale })) {
        if (seen.has(f.name)) continue; // heatmaps are the same for every selection
        seen.add(f.name);
        // Rendering a figure is synchronous work: let signals (a stop) in between figures.
        await new Promise((r) => setImmediate(r));
        write(join('figures', f.name), f.svg);
        if (opts.png ?? true) {
          const png = pngUnavailable ? null : await svgToPng(f.svg);
          if (png) write(join('figures', f.name.replace(/\.svg$/, '.png')), png);
          else pngUnavailable = true;
        }
      }
    }
  }
  return { files: files.map((f) => resolve(f)), pngUnavailable };
}
