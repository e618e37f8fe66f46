// Renderers: cell formatting by hand, then golden files of every table kind,
// of the CSV and of the figures, from a database filled through the real
// SQLite storage (golden-db.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownCell } from '../../src/report/markdown.js';
import { renderGridsCsv } from '../../src/report/csv.js';
import { renderJson, REPORT_JSON_FORMAT } from '../../src/report/json.js';
import { fmt3, fmtDiff } from '../../src/report/format.js';
import type { Cell, ReportModel, Selection } from '../../src/report/types.js';
import { fillGoldenDb } from './golden-db.js';
import { assertGolden } from './golden.js';
import { goldenModels, oracleFiles, tableText, TABLE_KINDS } from './golden-outputs.js';

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
    for (const [select, m] of await goldenModels(db)) models.set(select, m);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of TABLE_KINDS) {
    it(`${kind} table, each selection (golden/${kind}.md)`, () => {
      const text = tableText(models, kind);
      assertGolden(`${kind}.md`, text);
      // The golden file has a placeholder for the hash (golden.ts); the table prints the study's own.
      const hash = models.get('oracle')!.provenance.definitionHash;
      assert.match(hash ?? '', /^[0-9a-f]{64}$/);
      assert.equal(text.split(`definition sha256 ${hash!.slice(0, 12)} `).length - 1, models.size);
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
    const files = oracleFiles(o);
    const csv = files.get('golden-fmnist.oracle.csv')!;
    assertGolden('golden-fmnist.oracle.csv', csv);
    assertGolden('golden-fmnist.curves.oracle.csv', files.get('golden-fmnist.curves.oracle.csv')!);
    // The golden files round AUROC to 4 decimals (golden.ts); the CSV itself prints
    // full precision: the std of two seeds 0.004 apart with all its digits, and
    // every mean, std and difference exactly as the model holds it, in table order.
    assert.match(csv, /,0\.0028284271247461927,/);
    const lines = csv.trim().split('\n');
    const header = lines[0]!.split(',');
    assert.equal(
      lines.length - 1,
      o.tables.reduce((s, t) => s + t.rows.length * t.columns.length, 0),
    );
    const cells = o.tables.flatMap((t) => t.rows.flatMap((r) => r.cells));
    const field = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    lines.slice(1).forEach((l, i) => {
      const f = l.split(',');
      const c = cells[i]!;
      for (const [col, v] of [
        ['mean', c.mean],
        ['std', c.std],
        ['diff', c.diff],
      ] as const)
        assert.equal(f[header.indexOf(col)], field(v), `${col} of CSV line ${i + 1}`);
      assert.equal(f[header.indexOf('definition_hash')], o.provenance.definitionHash);
    });
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
    for (const [name, text] of oracleFiles(models.get('oracle')!)) if (name.endsWith('.svg')) assertGolden(name, text);
  });
});
