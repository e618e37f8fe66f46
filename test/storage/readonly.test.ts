// The read-only commands (status, monitor, export) on a real SQLite file:
// with no writer they leave no -wal/-shm beside it and do not change a byte
// of it; with a writer running they still read what it wrote, live.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runStatus } from '../../src/cli/commands/status/index.js';
import { runExport } from '../../src/cli/commands/export/index.js';
import { runMonitor } from '../../src/cli/commands/monitor/index.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { TrialState } from '../../src/trial/state.js';
import { fillGoldenDb } from '../report/golden-db.js';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const STUDY = 'golden-fmnist';

describe('read-only commands leave no -wal/-shm behind', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iae-readonly-'));
    db = join(dir, 'study.sqlite3');
    await fillGoldenDb(db);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sideFiles = () => readdirSync(dir).filter((f) => f.startsWith('study.sqlite3-'));

  it('status, export and monitor on a file no writer has open', async () => {
    // The writer closed cleanly: SQLite removed its -wal and -shm.
    assert.deepEqual(sideFiles(), []);
    const before = sha(db);

    const status: string[] = [];
    await runStatus({ target: STUDY, db, write: (l) => status.push(l) });
    assert.match(status.join('\n'), /complete/i);
    assert.deepEqual(sideFiles(), [], 'status');

    const r = await runExport({
      db,
      study: STUDY,
      outDir: join(dir, 'out'),
      formats: ['md'],
      select: 'oracle',
      figures: false,
    });
    assert.ok(r.files.length > 0);
    assert.deepEqual(sideFiles(), [], 'export');

    const lines: string[] = [];
    const stdout = new PassThrough() as unknown as NodeJS.WriteStream; // a pipe: one pass while nothing runs
    const abort = new AbortController();
    const monitor = runMonitor({
      target: STUDY,
      db,
      signal: abort.signal,
      pollMs: 20,
      stdout,
      write: (l) => lines.push(l),
    });
    // The golden study has RUNNING and WAITING trials and no writer: stop the monitor once it has read them.
    for (let i = 0; i < 500 && !lines.some((l) => /trials \d+\/\d+ done/.test(l)); i++)
      await new Promise((res) => setImmediate(res));
    abort.abort();
    await monitor;
    assert.ok(
      lines.some((l) => /trials \d+\/\d+ done/.test(l)),
      lines.join('\n'),
    );
    assert.deepEqual(sideFiles(), [], 'monitor');
    assert.equal(sha(db), before, 'not a byte of the file changed');
  });

  it('with a writer running they read what it wrote, and a reader opened before the writer follows it', async () => {
    const early = openSqliteStorage(db, { readonly: true });
    const studyId = (await early.getStudy(STUDY))!.id;
    const before = await early.countTrials(studyId);
    assert.deepEqual(sideFiles(), [], 'no writer yet: the early reader made no files');

    const writer = openSqliteStorage(db);
    try {
      const claimed = await writer.claimTrial(studyId, 'test-writer');
      assert.ok(claimed, 'the golden study has WAITING trials');
      await writer.finishTrial(claimed!.id, TrialState.FAIL);
      assert.ok(existsSync(`${db}-wal`), 'the writer works in WAL mode');

      // The early reader now reads the file live: it sees the commit still in the WAL.
      const now = await early.countTrials(studyId);
      assert.equal(now[TrialState.FAIL], before[TrialState.FAIL] + 1);
      assert.equal(now[TrialState.WAITING], before[TrialState.WAITING] - 1);

      // status while the writer runs reads the same.
      const status: string[] = [];
      await runStatus({ target: STUDY, db, write: (l) => status.push(l) });
      const late = openSqliteStorage(db, { readonly: true });
      assert.deepEqual(await late.countTrials(studyId), now);
      await late.close();
      assert.ok(status.length > 0);
    } finally {
      await early.close();
      await writer.close();
    }
  });
});
