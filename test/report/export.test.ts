// runExport on a real SQLite file: the files it writes, that it never writes
// the database (and reads it while a writer holds the lock), typed errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { runExport, projectVersion } from '../../src/cli/commands/export/index.js';
import { gitCommit, runExportCommand } from '../../src/cli/commands/export/cli.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { UserInputError } from '../../src/errors/index.js';
import { loadResvg, pngSize } from '../../src/report/png.js';
import { fillGoldenDb } from './golden-db.js';
import { assertGolden } from './golden.js';
import { parseXml } from './xml.js';

const NOW = new Date('2025-01-02T03:04:05.000Z');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('runExport', () => {
  let dir: string;
  let db: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iae-export-'));
    db = join(dir, 'golden.sqlite3');
    await fillGoldenDb(db);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('default export: oracle, median and default side by side (golden), CSV and JSON per selection', async () => {
    const before = sha(db);
    const filesBefore = readdirSync(dir).sort();
    const out = join(dir, 'out');
    const r = await runExport({
      db,
      study: 'golden-fmnist',
      outDir: out,
      formats: ['md', 'csv', 'json'],
      compare: 'paper',
      figures: false,
      version: '0.1.0',
      commit: '0123456789abcdef',
      now: NOW,
    });
    assert.deepEqual(
      r.files.map((f) => basename(f)),
      [
        'golden-fmnist.md',
        'golden-fmnist.oracle.csv',
        'golden-fmnist.median.csv',
        'golden-fmnist.default.csv',
        'golden-fmnist.grids.csv',
        'golden-fmnist.curves.oracle.csv',
        'golden-fmnist.curves.median.csv',
        'golden-fmnist.curves.default.csv',
        'golden-fmnist.oracle.json',
        'golden-fmnist.median.json',
        'golden-fmnist.default.json',
      ],
    );
    const md = readFileSync(join(out, 'golden-fmnist.md'), 'utf8');
    assertGolden('golden-fmnist.md', md);
    assert.match(md, /## Selection gap/);
    // The export never writes the database: same bytes, and no frame in the
    // write-ahead log (SQLite's reader may create an empty -wal and the -shm index).
    assert.equal(sha(db), before);
    assert.deepEqual(filesBefore, ['golden.sqlite3']);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('-wal')))
      assert.equal(statSync(join(dir, f)).size, 0, `${f} has frames`);
    const json = JSON.parse(readFileSync(join(out, 'golden-fmnist.median.json'), 'utf8'));
    assert.equal(json.selection.select, 'median');
    assert.equal(json.provenance.commit, '0123456789abcdef');
  });

  it('one selection, one format', async () => {
    const out = join(dir, 'one');
    const r = await runExport({
      db,
      study: 'golden-fmnist',
      outDir: out,
      formats: ['md'],
      select: 'default',
      figures: false,
      now: NOW,
    });
    assert.deepEqual(
      r.files.map((f) => basename(f)),
      ['golden-fmnist.md'],
    );
    const md = readFileSync(r.files[0]!, 'utf8');
    assert.match(md, /default point \(no test labels\)/);
    assert.doesNotMatch(md, /oracle selection/);
    // Version from package.json when not given.
    assert.match(md, new RegExp(`iae-sweep ${projectVersion()!.replace(/\./g, '\\.')}`));
  });

  it('figures: SVG that parses, PNG of twice the size where resvg loads', async () => {
    const out = join(dir, 'fig');
    const r = await runExport({ db, study: 'golden-fmnist', outDir: out, formats: [], select: 'oracle', now: NOW });
    const svgs = r.files.filter((f) => f.endsWith('.svg'));
    assert.ok(svgs.some((f) => basename(f) === 'fig4-auroc-vs-epoch.oracle.svg'));
    assert.ok(svgs.some((f) => basename(f) === 'fig5-auroc-vs-contamination.oracle.svg'));
    // Heatmaps for the clean training sets only: 7 rows with tuned axes, 2 classes, nu pages for soft KL models.
    assert.equal(svgs.filter((f) => basename(f).startsWith('grid-')).length, 24);
    for (const f of svgs) parseXml(readFileSync(f, 'utf8'));
    const pngs = r.files.filter((f) => f.endsWith('.png'));
    if (await loadResvg()) {
      assert.equal(pngs.length, svgs.length);
      const svg = readFileSync(svgs[0]!, 'utf8');
      const w = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
      const h = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
      assert.deepEqual(pngSize(readFileSync(svgs[0]!.replace(/\.svg$/, '.png'))), { width: 2 * w, height: 2 * h });
    } else {
      assert.equal(pngs.length, 0);
      assert.equal(r.pngUnavailable, true);
    }
  });

  it('reads while a sweep writes: a held write lock does not block it, and it sees the running trial', async () => {
    const storage = openSqliteStorage(db);
    const study = (await storage.getStudy('golden-fmnist'))!;
    const claimed = (await storage.claimTrial(study.id, 'live-worker'))!;
    assert.ok(claimed);
    const raw = new Database(db);
    raw.exec('BEGIN IMMEDIATE'); // the writer's lock, as during a sweep's transaction
    try {
      const out = join(dir, 'live');
      const r = await runExport({
        db,
        study: 'golden-fmnist',
        outDir: out,
        formats: ['json'],
        select: 'oracle',
        figures: false,
        now: NOW,
      });
      const model = JSON.parse(readFileSync(r.files[0]!, 'utf8'));
      assert.equal(model.progress.states.RUNNING, 2);
      assert.equal(model.progress.states.WAITING, 16);
    } finally {
      raw.exec('ROLLBACK');
      raw.close();
      await storage.requeueTrial(claimed.id);
      await storage.close();
    }
  });

  it('a missing database: a typed error naming the file', async () => {
    const missing = join(dir, 'nope.sqlite3');
    await assert.rejects(
      runExport({ db: missing, study: 'x', outDir: join(dir, 'x'), formats: ['md'] }),
      (e: unknown) =>
        e instanceof UserInputError && e.message.includes(missing) && /no database for study/.test(e.message),
    );
  });

  it('an unknown study: a typed error naming the file and the studies it has', async () => {
    await assert.rejects(
      runExport({ db, study: 'other', outDir: join(dir, 'x'), formats: ['md'] }),
      (e: unknown) =>
        e instanceof UserInputError &&
        e.message.includes(db) &&
        /no study "other".*it has: golden-fmnist/.test(e.message),
    );
  });

  it('the command: checks its flags and prints the files', async () => {
    const lines: string[] = [];
    const write = (l: string) => lines.push(l);
    await assert.rejects(
      runExportCommand({ target: 'golden-fmnist', db, format: 'md,xlsx', write }),
      (e: unknown) => e instanceof UserInputError && /--format/.test(e.message),
    );
    await assert.rejects(
      runExportCommand({ target: 'golden-fmnist', db, select: 'best', write }),
      (e: unknown) => e instanceof UserInputError && /--select/.test(e.message),
    );
    await assert.rejects(
      runExportCommand({ target: 'golden-fmnist', db, score: 'mse', write }),
      (e: unknown) => e instanceof UserInputError && /--score/.test(e.message),
    );
    await assert.rejects(
      runExportCommand({ target: 'golden-fmnist', db, compare: 'arxiv', write }),
      (e: unknown) => e instanceof UserInputError && /--compare/.test(e.message),
    );
    const out = join(dir, 'cmd');
    await runExportCommand({
      target: 'golden-fmnist',
      db,
      out,
      format: 'csv',
      select: 'median',
      'no-figures': true,
      write,
    });
    assert.deepEqual(
      lines.map((l) => basename(l)),
      ['golden-fmnist.median.csv', 'golden-fmnist.grids.csv', 'golden-fmnist.curves.median.csv'],
    );
  });

  // A signal during the export (issue 14): the report is built in a worker
  // thread, so the main thread keeps turning (timer ticks are counted, nothing
  // is timed) and a stop rejects at once with its reason; files are written to
  // a temporary name and renamed, so only whole files are ever left.
  it('a signal while the report is built: the event loop keeps turning, it rejects with the reason, nothing is written', async () => {
    const out = join(dir, 'stopped-building');
    const ac = new AbortController();
    const reason = new Error('SIGTERM');
    let ticks = 0;
    const written: string[] = [];
    const ticker = setInterval(() => {
      if (++ticks === 3) ac.abort(reason);
    }, 1);
    try {
      await assert.rejects(
        runExport({
          db,
          study: 'golden-fmnist',
          outDir: out,
          formats: ['md', 'csv', 'json'],
          now: NOW,
          signal: ac.signal,
          onFile: (f) => written.push(f),
        }),
        (e) => e === reason,
      );
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks >= 3, `the loop turned while the report was built (${ticks} ticks)`);
    assert.deepEqual(written, [], 'stopped before the first file');
    assert.equal(existsSync(out), false, 'not even the output folder');
  });

  it('a signal between files: whole files only, no temporary file left', async () => {
    const out = join(dir, 'stopped-writing');
    const ac = new AbortController();
    const reason = new Error('SIGHUP');
    const written: string[] = [];
    await assert.rejects(
      runExport({
        db,
        study: 'golden-fmnist',
        outDir: out,
        formats: ['md', 'csv', 'json'],
        figures: false,
        now: NOW,
        signal: ac.signal,
        onFile: (f) => {
          written.push(basename(f));
          if (written.length === 2) ac.abort(reason);
        },
      }),
      (e) => e === reason,
    );
    assert.deepEqual(written, ['golden-fmnist.md', 'golden-fmnist.oracle.csv']);
    assert.deepEqual((readdirSync(out) as string[]).sort(), ['golden-fmnist.md', 'golden-fmnist.oracle.csv']);
    const full = await runExport({
      db,
      study: 'golden-fmnist',
      outDir: join(dir, 'whole'),
      formats: ['md'],
      figures: false,
      now: NOW,
    });
    assert.equal(readFileSync(join(out, 'golden-fmnist.md'), 'utf8'), readFileSync(full.files[0]!, 'utf8'));
  });

  it('reads the commit from .git without running git', () => {
    const c = gitCommit(join(import.meta.dirname ?? '.', '..', '..'));
    if (c !== null) assert.match(c, /^[0-9a-f]{40}$/);
    assert.equal(gitCommit(dir), null);
  });
});
