// The commands people type first, and those scripts and CI use, through the
// real CLI in a child process: help and version, exit codes, --out errors,
// the backend probe, --json, ls, rm and cache. Real SQLite, real worker
// threads, real tfjs training on a tiny network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { expandGrid, searchSpace } from '../../src/grid/expand.js';
import { Study } from '../../src/study/schema.js';
import { TrialState } from '../../src/trial/state.js';
import { COMMAND_HELP } from '../../src/cli/help.js';
import { fillGoldenDb } from '../report/golden-db.js';
import { runCli, tinyStudy, writeStudy, wtbiCsv } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'e2e-cli-'));
const VERSION = (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;

test('--version, -V, <command> --help and help <command> print and exit 0', async () => {
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal((await r.done).code, 0, r.stderr());
    assert.equal(r.stdout().trim(), VERSION);
  }
  for (const command of Object.keys(COMMAND_HELP)) {
    const r = runCli([command, '--help']);
    assert.equal((await r.done).code, 0, `${command} --help: ${r.stderr()}`);
    assert.match(r.stdout(), new RegExp(`^usage: sweep ${command}`), command);
    assert.match(r.stdout(), /exit codes:/);
    assert.equal(r.stderr(), '');
  }
  const h = runCli(['help', 'export']);
  assert.equal((await h.done).code, 0);
  assert.match(h.stdout(), /^usage: sweep export <study>[\s\S]*--compare paper/);
  const bad = runCli(['status', 'x', '--bogus']);
  assert.equal((await bad.done).code, 2);
  assert.match(bad.stderr(), /^sweep: unknown option --bogus for "sweep status"\n\nusage: sweep status/);
  const unknown = runCli(['help', 'frobnicate']);
  assert.equal((await unknown.done).code, 2);
  assert.match(unknown.stderr(), /unknown command "frobnicate"/);
});

test('export --out on a file path or /proc: a clear error, exit 2, at once', { timeout: 120_000 }, async () => {
  const dir = tmp();
  const db = join(dir, 'golden.sqlite3');
  await fillGoldenDb(db);
  // /proc/forbidden: Node's recursive mkdir looped for ever there (the test's timeout catches a hang).
  for (const [out, why] of [
    ['/dev/null/x', /ENOTDIR/],
    ['/proc/forbidden', /ENOENT|EACCES|EPERM/],
  ] as const) {
    const r = runCli(['export', 'golden-fmnist', '--db', db, '--out', out, '--no-figures']);
    assert.equal((await r.done).code, 2, r.stderr());
    assert.match(r.stderr(), /^sweep: --out: cannot write the export to /);
    assert.match(r.stderr(), why);
    assert.doesNotMatch(r.stderr(), /internal error|\n\s+at /);
  }
});

test('an unavailable --backend is refused before any trial is claimed', { timeout: 120_000 }, async () => {
  const { file, db } = writeStudy(tinyStudy('probe', { normalClass: [0, 1], boundary: ['hard'] }));
  // Trials queued by an earlier start: none of them may be claimed or failed.
  const study = Study.parse(JSON.parse(readFileSync(file, 'utf8')));
  const storage = openSqliteStorage(db);
  const s = await storage.openStudy('probe', {});
  await storage.enqueuePoints(s.id, expandGrid(study.grid), searchSpace(study.grid));
  await storage.close();
  const r = runCli(['start', file, '--db', db, '--backend', 'tensorflow-gpu', '--no-cache']);
  assert.equal((await r.done).code, 2, r.stderr());
  assert.match(r.stderr(), /backend "tensorflow-gpu" \(@tensorflow\/tfjs-node-gpu\) not installed/);
  assert.match(r.stderr(), /npm install @tensorflow\/tfjs-node-gpu/);
  const after = openSqliteStorage(db, { readonly: true });
  try {
    const c = await after.countTrials(s.id);
    assert.deepEqual([c[TrialState.WAITING], c[TrialState.RUNNING], c[TrialState.FAIL]], [2, 0, 0]);
  } finally {
    await after.close();
  }
});

test(
  'failed trials exit 3; --json events; status --json; ls; cache ls/clean; rm asks, refuses without a TTY, --yes deletes',
  { timeout: 600_000 },
  async () => {
    const dir = tmp();
    // WTBI's training split holds normal windows only: a contaminated trial has
    // no anomalies to inject and fails for real, in its worker; the clean one completes.
    const study = {
      ...tinyStudy('scripted', { normalClass: [0], contamination: [0, 0.1], boundary: ['hard'] }),
      dataset: { name: 'wtbi', file: wtbiCsv(dir) },
    };
    const { file, db } = writeStudy(study);
    const cache = join(dir, 'cache');
    const run = runCli(['start', file, '--db', db, '--cache-dir', cache, '--json']);
    const { code } = await run.done;
    assert.equal(code, 3, run.stderr() + run.stdout());
    const events = run
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const kinds = new Set(events.map((e) => e.event));
    for (const k of ['loading', 'study', 'runner', 'trial_started', 'backend', 'epoch', 'trial_finished', 'summary'])
      assert.ok(kinds.has(k), `event ${k}`);
    const finished = events.filter((e) => e.event === 'trial_finished');
    assert.deepEqual(finished.map((e) => e.state).sort(), ['COMPLETE', 'FAIL']);
    assert.match(
      String(finished.find((e) => e.state === 'FAIL')!.error),
      /contamination 0.1 needs \d+ images of other classes, the training split has 0/,
    );
    const summary = events.at(-1)!;
    assert.equal(summary.event, 'summary');
    assert.deepEqual([summary.completed, summary.failed], [1, 1]);

    const status = runCli(['status', 'scripted', '--db', db, '--json']);
    assert.equal((await status.done).code, 0, status.stderr());
    const st = JSON.parse(status.stdout()) as {
      states: Record<string, number>;
      best: { normalClass: number; label: string }[];
      failed: unknown[];
    };
    assert.deepEqual([st.states.COMPLETE, st.states.FAIL, st.states.WAITING], [1, 1, 0]);
    assert.deepEqual(
      st.best.map((b) => [b.label, b.normalClass]),
      [['IAE-LSTM-KL(h)', 0]],
    );
    assert.equal(st.failed.length, 1);

    const ls = runCli(['ls', '--db', db]);
    assert.equal((await ls.done).code, 0, ls.stderr());
    assert.match(ls.stdout(), /^scripted\s+\S+study\.sqlite3\s+COMPLETE 1, RUNNING 0, WAITING 0, FAIL 1, PRUNED 0$/m);
    const lsJson = runCli(['ls', '--db', db, '--json']);
    await lsJson.done;
    assert.deepEqual(JSON.parse(lsJson.stdout()), {
      db,
      study: 'scripted',
      states: { COMPLETE: 1, RUNNING: 0, WAITING: 0, FAIL: 1, PRUNED: 0 },
      foreign: 0,
    });

    // The completed trial pretrained and cached its autoencoder; the entry names the study.
    const cacheLs = runCli(['cache', 'ls', '--cache-dir', cache, '--db', db, '--json']);
    assert.equal((await cacheLs.done).code, 0, cacheLs.stderr());
    const entries = cacheLs
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; path: string; bytes: number; studies: string[] });
    const pretrain = entries.filter((e) => e.kind === 'pretrain');
    assert.equal(pretrain.length, 1);
    assert.deepEqual(pretrain[0]!.studies, ['scripted']);
    assert.ok(pretrain[0]!.bytes > 0);
    assert.ok(
      entries.some((e) => e.kind === 'data'),
      'the decoded data set is listed too',
    );
    const clean = runCli(['cache', 'clean', '--cache-dir', cache, '--db', db, '--study', 'scripted']);
    assert.equal((await clean.done).code, 0, clean.stderr());
    assert.match(clean.stdout(), /deleted 1 cache entry/);
    assert.equal(existsSync(pretrain[0]!.path), false);
    assert.ok(
      entries.filter((e) => e.kind === 'data').every((e) => existsSync(e.path)),
      "only the study's pretraining entries",
    );
    const noFilter = runCli(['cache', 'clean', '--cache-dir', cache]);
    assert.equal((await noFilter.done).code, 2);
    assert.match(noFilter.stderr(), /--all, --older-than DAYS or --study NAME/);

    // No terminal on stdin (runCli ignores it) and no --yes: refused, nothing deleted.
    const refuse = runCli(['rm', 'scripted', '--db', db]);
    assert.equal((await refuse.done).code, 2);
    assert.match(refuse.stderr(), /refusing to delete study "scripted" and its 2 trial\(s\).*pass --yes/);
    const rm = runCli(['rm', 'scripted', '--db', db, '--yes']);
    assert.equal((await rm.done).code, 0, rm.stderr());
    assert.match(rm.stdout(), /deleted study "scripted" and its 2 trial\(s\)/);
    const empty = runCli(['ls', '--db', db]);
    await empty.done;
    assert.match(empty.stdout(), /no studies in/);
  },
);
