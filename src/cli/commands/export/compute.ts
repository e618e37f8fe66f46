// What `sweep export` writes, as data: the study read (read-only), its report
// models built, every text file and figure rendered. Synchronous and heavy on
// a big study (seconds for 10^4 trials), so runExport runs it in a worker
// thread (worker.ts): the main thread stays free to see a signal at once.
import { join } from 'node:path';
import type { FrozenTrial, StudySummary } from '../../../storage/index.js';
import type { Score } from '../../../study/schema.js';
import { openTargetReadonly } from '../../target.js';
import {
  buildReport,
  figures as allFigures,
  readStudyDefinition,
  renderCurvesCsv,
  renderGridsCsv,
  renderJson,
  renderMarkdown,
  renderTablesCsv,
  type HeatScale,
  type ReportModel,
  type Selection,
} from '../../../report/index.js';

export type ExportFormat = 'md' | 'csv' | 'json';

/** Everything the computation needs: plain data, so it can cross to a worker thread. */
export interface ExportJob {
  readonly db: string;
  readonly study: string;
  readonly formats: readonly ExportFormat[];
  readonly select?: Selection;
  readonly score?: Score;
  readonly compare?: 'paper';
  readonly figures: boolean;
  readonly heatScale?: HeatScale;
  readonly meta: { readonly version: string | null; readonly commit: string | null; readonly generatedAt: string };
}

/** One file to write: its path under the output folder and its content. */
export interface ExportFile {
  readonly name: string;
  readonly data: string;
  /** A figure: also rasterised to PNG where resvg loads. */
  readonly figure?: boolean;
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

/** The files of the export, in writing order. */
export async function computeExport(job: ExportJob): Promise<ExportFile[]> {
  const { summary, trials } = await readStudy(job.db, job.study);
  const selections: Selection[] = job.select
    ? [job.select]
    : readStudyDefinition(summary.systemAttrs)?.defaultPoint
      ? ['oracle', 'median', 'default']
      : ['oracle', 'median'];
  const models: ReportModel[] = selections.map((select) =>
    buildReport({ study: summary, trials, meta: job.meta }, { select, score: job.score, compare: job.compare }),
  );
  const out: ExportFile[] = [];
  const base = summary.name;
  const formats = [...new Set(job.formats)];
  if (formats.includes('md')) out.push({ name: `${base}.md`, data: renderMarkdown(models) });
  if (formats.includes('csv')) {
    for (const m of models) out.push({ name: `${base}.${m.selection.select}.csv`, data: renderTablesCsv(m) });
    // The grids do not depend on the selection: one file.
    out.push({ name: `${base}.grids.csv`, data: renderGridsCsv(models[0]!) });
    for (const m of models) out.push({ name: `${base}.curves.${m.selection.select}.csv`, data: renderCurvesCsv(m) });
  }
  if (formats.includes('json'))
    for (const m of models) out.push({ name: `${base}.${m.selection.select}.json`, data: renderJson(m) });
  if (job.figures) {
    const seen = new Set<string>();
    for (const m of models) {
      for (const f of allFigures(m, { heatScale: job.heatScale })) {
        if (seen.has(f.name)) continue; // heatmaps are the same for every selection
        seen.add(f.name);
        out.push({ name: join('figures', f.name), data: f.svg, figure: true });
      }
    }
  }
  return out;
}
