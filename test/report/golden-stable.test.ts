// Issue 12: one new default (workers) once rewrote every golden file, because
// each embedded the study definition's hash. The golden files now hold a
// placeholder for it (golden.ts). Here the golden study differs in settings that
// change its definition, and so its hash, but no number: run policy and
// parallelism. Every golden output must still equal its golden file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExport } from '../../src/cli/commands/export/index.js';
import type { ReportModel, Selection } from '../../src/report/types.js';
import { fillGoldenDb, GOLDEN_STUDY_INPUT } from './golden-db.js';
import { assertMatchesGolden } from './golden.js';
import { goldenModels, oracleFiles, tableText, TABLE_KINDS } from './golden-outputs.js';

const UNRELATED = { workers: 3, maxRetries: 5, trialTimeout: 3600, pretrainCache: false } as const;

describe('a setting that changes no number leaves the golden files alone', () => {
  let dir: string;
  let db: string;
  let golden: Map<Selection, ReportModel>;
  let other: Map<Selection, ReportModel>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iae-golden-stable-'));
    await fillGoldenDb(join(dir, 'golden.sqlite3'));
    db = join(dir, 'other.sqlite3');
    await fillGoldenDb(db, { ...GOLDEN_STUDY_INPUT, ...UNRELATED });
    golden = await goldenModels(join(dir, 'golden.sqlite3'));
    other = await goldenModels(db);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the setting reached the study definition: its hash differs', () => {
    const a = golden.get('oracle')!.provenance.definitionHash;
    const b = other.get('oracle')!.provenance.definitionHash;
    assert.match(a ?? '', /^[0-9a-f]{64}$/);
    assert.match(b ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
  });

  for (const kind of TABLE_KINDS) {
    it(`golden/${kind}.md unchanged`, () => assertMatchesGolden(`${kind}.md`, tableText(other, kind)));
  }

  it('the oracle CSVs and the figures unchanged', () => {
    for (const [name, text] of oracleFiles(other.get('oracle')!)) assertMatchesGolden(name, text);
  });

  it('the exported document (golden/golden-fmnist.md) unchanged', async () => {
    const r = await runExport({
      db,
      study: 'golden-fmnist',
      outDir: join(dir, 'out'),
      formats: ['md'],
      compare: 'paper',
      figures: false,
      version: '0.1.0',
      commit: '0123456789abcdef',
      now: new Date('2025-01-02T03:04:05.000Z'),
    });
    assertMatchesGolden('golden-fmnist.md', readFileSync(r.files[0]!, 'utf8'));
  });
});
