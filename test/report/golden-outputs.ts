// What the golden files hold, rendered from a golden database: the report
// models of the three selections, each table kind across them, the oracle CSV
// and the figures. Shared by render.test.ts (which writes and checks the golden
// files) and golden-stable.test.ts (which checks a study differing in an
// unrelated setting against the same files).
import assert from 'node:assert/strict';
import { openSqliteStorage } from '../../src/storage/index.js';
import { buildReport } from '../../src/report/model.js';
import { markdownTable } from '../../src/report/markdown.js';
import { renderCurvesCsv, renderTablesCsv } from '../../src/report/csv.js';
import { fig4, fig5, gridFigure } from '../../src/report/figures.js';
import type { ReportModel, Selection } from '../../src/report/types.js';
import { FIXED_META } from './fixtures.js';

export const TABLE_KINDS = ['main', 'ablation', 'gates', 'contamination'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

/** The report of the golden study in `db`, per selection, with fixed version, commit and time. */
export async function goldenModels(db: string): Promise<Map<Selection, ReportModel>> {
  const models = new Map<Selection, ReportModel>();
  const storage = openSqliteStorage(db, { readonly: true });
  try {
    const summary = (await storage.getStudy('golden-fmnist'))!;
    const trials = await storage.getTrials(summary.id);
    for (const select of ['oracle', 'median', 'default'] as const)
      models.set(select, buildReport({ study: summary, trials, meta: FIXED_META }, { select, compare: 'paper' }));
  } finally {
    await storage.close();
  }
  return models;
}

/** golden/<kind>.md: the table of that kind under each selection. */
export function tableText(models: ReadonlyMap<Selection, ReportModel>, kind: TableKind): string {
  const parts: string[] = [];
  for (const [select, m] of models) {
    const t = m.tables.find((x) => x.kind === kind);
    assert.ok(t, `no ${kind} table`);
    parts.push(`### ${select}\n\n${markdownTable(m, t)}`);
  }
  return `${parts.join('\n\n')}\n`;
}

/** The oracle CSVs and figures, by golden file name. */
export function oracleFiles(o: ReportModel): Map<string, string> {
  const g = o.grids.find(
    (x) => x.row.label === 'IAE-LSTM-KL(s)' && x.normalClass === 0 && x.contamination === 0 && x.nu === 0.1,
  );
  assert.ok(g, 'no IAE-LSTM-KL(s) grid for class 0, clean, nu 0.1');
  const f5 = fig5(o);
  assert.ok(f5, 'no Fig. 5');
  return new Map([
    ['golden-fmnist.oracle.csv', renderTablesCsv(o)],
    ['golden-fmnist.curves.oracle.csv', renderCurvesCsv(o)],
    ['fig4-auroc-vs-epoch.oracle.svg', fig4(o).svg],
    ['fig5-auroc-vs-contamination.oracle.svg', f5.svg],
    ['grid-IAE-LSTM-KL-s-class0-cont0-nu0.1.svg', gridFigure(g).svg],
  ]);
}
