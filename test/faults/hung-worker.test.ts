// A hung worker through the real start command: a worker thread stuck in a
// synchronous loop (a test-only trial), caught by the study's trialTimeout,
// its thread replaced; with maxRetries 0 the point is not queued again, and
// `sweep status` and the export say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStart } from '../../src/cli/commands/start/index.js';
import { runStatus } from '../../src/cli/commands/status/index.js';
import { runExport } from '../../src/cli/commands/export/index.js';
import { TrialState } from '../../src/trial/state.js';
import { trialsOf } from '../e2e/helpers.js';

const stuckWorker = new URL('../pool/fixtures/stuck-worker.ts', import.meta.url);

test(
  'a worker stuck in a loop is stopped by trialTimeout and replaced; with maxRetries 0 its point is given up, and status and export say so',
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-hung-'));
    const file = join(dir, 'hung.json');
    const db = join(dir, 'hung.sqlite3');
    // Class 7 spins forever in the fixture worker; one thread, so class 1 needs the replacement.
    const study = {
      name: 'hung',
      dataset: { name: 'synthetic', trainSize: 8, testSize: 8 },
      grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 7, 1] },
      workers: 1,
      backend: 'cpu',
      trialTimeout: 2,
      maxRetries: 0,
    };
    writeFileSync(file, JSON.stringify(study));
    const lines: string[] = [];
    const opts = {
      studyFile: file,
      db,
      cacheDir: null,
      signal: new AbortController().signal,
      write: (l: string) => lines.push(l),
      workerFile: stuckWorker,
    };

    const first = await runStart(opts);
    assert.equal(first.completed, 2);
    assert.equal(first.failed, 1);
    const stuck = (await trialsOf(db, 'hung')).find((t) => t.params.normalClass === 7)!;
    assert.equal(stuck.state, TrialState.FAIL);
    assert.match(
      String(stuck.userAttrs.error),
      /timed out: ran longer than trialTimeout 2 s; the worker was stopped and replaced/,
    );
    assert.ok(
      lines.some((l) => /FAIL .*timed out/.test(l)),
      'the log names the reason',
    );

    // maxRetries 0: the next start does not queue the point again.
    lines.length = 0;
    const second = await runStart(opts);
    assert.equal(second.completed + second.failed, 0);
    assert.ok(
      lines.some((l) => /1 grid point\(s\) not queued again: they failed 1 time\(s\) \(maxRetries 0/.test(l)),
      lines.join('\n'),
    );
    assert.equal((await trialsOf(db, 'hung')).length, 3);

    const status: string[] = [];
    await runStatus({ target: 'hung', db, write: (l) => status.push(l) });
    assert.ok(
      status.some((l) => /not queued again: 1 grid point\(s\) failed 1 time\(s\) \(maxRetries 0\)/.test(l)),
      status.join('\n'),
    );
    assert.ok(
      status.some((l) => /gave up: IAE-LSTM-KL.* class 7 .*1 failures, last trial \d+: timed out/.test(l)),
      status.join('\n'),
    );

    const out = join(dir, 'report');
    await runExport({ db, study: 'hung', outDir: out, formats: ['md'], figures: false });
    assert.match(
      readFileSync(join(out, 'hung.md'), 'utf8'),
      /1 grid point\(s\) failed 1 time\(s\) and are not queued again \(maxRetries 0\); trial \d+: timed out/,
    );

    // Raising maxRetries queues it once more (and the stuck thread is caught again).
    writeFileSync(file, JSON.stringify({ ...study, maxRetries: 1 }));
    const third = await runStart(opts);
    assert.equal(third.failed, 1);
    assert.equal(
      (await trialsOf(db, 'hung')).filter((t) => t.params.normalClass === 7 && t.state === TrialState.FAIL).length,
      2,
    );
  },
);
