// Renderers: cell formatting by hand, then golden files of every table kind,
// of the CSV and of the figures, from a database filled through the real
// SQLite storage (golden-db.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { buildReport } from '../../src/report/model.js';
import { markdownCell, markdownTable } from '../../src/report/markdown.js';
import { renderCurvesCsv, renderGridsCsv, renderTablesCsv } from '../../src/report/csv.js';
import { renderJson, REPORT_JSON_FORMAT } from '../../src/report/json.js';
import { fig4, fig5, gridFigure } from '../../src/report/figures.js';
import { fmt3, fmtDiff } from '../../src/report/format.js';
import type { Cell, ReportModel, Selection } from '../../src/report/types.js';
import { fillGoldenDb } from './golden-db.js';
import { assertGolden } from './golden.js';
import { FIXED_META } from './fixtures.js';

const base: Cell = { mean: 0.8125, std: 0.0123, n: 3, seedsExpected: 3, complete: true, best: false, seeds: [] };

describe('markdown cells', () => {
  it('three decimals, mean ± std, bold best, marks', () => {
    assert.equal(markdownCell(base), '0.813 ± 0.012');
    assert.equal(markdownCell({ ...base, best: true }), '**0.813** ± 0.012');
    assert.equal(markdownCell({ ...base, std: null, n: 1, seedsExpected: 1 }), '0.813');
    assert.equal(markdownCell({ ...base, complete: false, n: 2 }), '0.813 ± 0.012 (2/3 seeds)†');
    assert.equal(markdownCell({ ...base, classesUsed: 9, classesExpected: 10 }), '0.813 ± 0.012‡');
    assert.equal(markdownCell({ ...base, mean: null, std: null, n: 0 }), '—');
    assert.equal(markdownCell({ ...base, paper: 0.8, diff: 0.0125 }), '0.813 ± 0.012 (paper 0.800; Δ +0.013)');
    assert.equal(markdownCell({ ...base, mean: null, std: null, n: 0, paper: 0.8, diff: null }), '— (paper 0.800)');
  });

  it('formats numbers the same everywhere', () => {
    assert.equal(fmt3(0.9995), '1.000');
    assert.equal(fmt3(-0.0001), '0.000');
    assert.equal(fmtDiff(-0.0684), '-0.068');
    assert.equal(fmtDiff(0.0002), '±0.000');
  });
});

describe('golden outputs from a real SQLite study', () => {
  let dir: string;
  const models = new Map<Selection, ReportModel>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iae-report-'));
    const db = join(dir, 'golden.sqlite3');
    await fillGoldenDb(db);
    const storage = openSqliteStorage(db, { readonly: true });
    try {
      const summary = (await storage.getStudy('golden-fmnist'))!;
      const trials = await storage.getTrials(summary.id);
      for (const select of ['oracle', 'median', 'default'] as const)
        models.set(select, buildReport({ study: summary, trials, meta: FIXED_META }, { select, compare: 'paper' }));
    } finally {
      await storage.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['main', 'ablation', 'gates', 'contamination'] as const) {
    it(`${kind} table, each selection (golden/${kind}.md)`, () => {
      const parts: string[] = [];
      for (const [select, m] of models) {
        const t = m.tables.find((x) => x.kind === kind);
        assert.ok(t, `no ${kind} table`);
        parts.push(`### ${select}\n\n${markdownTable(m, t)}`);
      }
      assertGolden(`${kind}.md`, `${parts.join('\n\n')}\n`);
    });
  }

  it('the planted cases show in the tables', () => {
    const o = models.get('oracle')!;
    const main = o.tables.find((t) => t.kind === 'main')!;
    const ablation = o.tables.find((t) => t.kind === 'ablation')!;
    const row = (t: typeof main, label: string) => t.rows.find((r) => r.label === label)!;
    // The tie: IAE-LSTM-KL(h), class 0, seed 0.
    const tie = row(main, 'IAE-LSTM-KL(h)').cells[0]!.seeds[0]!;
    assert.equal(tie.ties, 1);
    assert.deepEqual(tie.point, { lambdaKl: 0.001, lambdaRec: 10 });
    // The missing cell, explicit, and the average over one class only.
    const iaeKlS = row(ablation, 'IAE-KL(s)');
    assert.equal(iaeKlS.cells[1]!.mean, null);
    assert.equal(iaeKlS.cells[2]!.classesUsed, 1);
    // The partial cell.
    const dsvddS = row(main, 'Deep SVDD(s)').cells[1]!;
    assert.equal(dsvddS.complete, false);
    assert.deepEqual(
      dsvddS.seeds.map((s) => [s.pointsUsed, s.pointsExpected]),
      [
        [2, 2],
        [1, 2],
      ],
    );
    // CAE scored with rec; both backends in the provenance.
    assert.equal(row(main, 'CAE').row.score, 'rec');
    assert.deepEqual(o.provenance.backends, ['cpu', 'wasm']);
    assert.deepEqual(o.progress.states, { WAITING: 17, RUNNING: 1, COMPLETE: 350, PRUNED: 0, FAIL: 1 });
  });

  it('CSV of the oracle tables and curves (golden), full precision', () => {
    const o = models.get('oracle')!;
    const csv = renderTablesCsv(o);
    assertGolden('golden-fmnist.oracle.csv', csv);
    assertGolden('golden-fmnist.curves.oracle.csv', renderCurvesCsv(o));
    // Full precision: the std of two seeds 0.004 apart is printed with all its digits.
    assert.match(csv, /,0\.0028284271247461927,/);
    const lines = csv.trim().split('\n');
    const header = lines[0]!.split(',');
    assert.equal(
      lines.length - 1,
      o.tables.reduce((s, t) => s + t.rows.length * t.columns.length, 0),
    );
    // A missing cell is an empty field, never 0.
    const missing = lines.find((l) => l.includes('IAE-KL(s)') && l.includes(',trouser,'))!.split(',');
    assert.equal(missing[header.indexOf('mean')], '');
    assert.equal(missing[header.indexOf('n')], '0');
  });

  it('CSV of the grids: a line per point and cell, with the oracle and default marks', () => {
    const o = models.get('oracle')!;
    const csv = renderGridsCsv(o);
    const lines = csv.trim().split('\n');
    assert.equal(
      lines.length - 1,
      o.grids.reduce((s, g) => s + g.cells.flat().length, 0),
    );
    assert.match(lines[0]!, /^study,row_id,row_label,/);
  });

  it('JSON is the model itself, with a format tag', () => {
    const o = models.get('oracle')!;
    const back = JSON.parse(renderJson(o));
    assert.equal(back.format, REPORT_JSON_FORMAT);
    assert.equal(back.formatVersion, 1);
    const { format: _f, formatVersion: _v, ...rest } = back;
    assert.deepEqual(rest, JSON.parse(JSON.stringify(o)));
  });

  it('figures (golden SVG)', () => {
    const o = models.get('oracle')!;
    assertGolden('fig4-auroc-vs-epoch.oracle.svg', fig4(o).svg);
    assertGolden('fig5-auroc-vs-contamination.oracle.svg', fig5(o)!.svg);
    const g = o.grids.find(
      (x) => x.row.label === 'IAE-LSTM-KL(s)' && x.normalClass === 0 && x.contamination === 0 && x.nu === 0.1,
    )!;
    assertGolden('grid-IAE-LSTM-KL-s-class0-cont0-nu0.1.svg', gridFigure(g).svg);
  });
});
