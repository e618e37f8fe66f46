// `sweep monitor` reads a study another process is running, by polling its
// SQLite file read-only. These tests run the real scheduler on a real file
// (with a stand-in trial function) and check what the monitor's feed shows
// against the database, and that a sweep writing at full speed in another
// process never fails while a monitor polls it.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { openSqliteStorage } from '../../src/storage/index.js';
import { buildReport } from '../../src/report/index.js';
import { TrialState } from '../../src/trial/state.js';
import { MonitorFeed } from '../../src/tui/poll.js';
import { runMonitor } from '../../src/cli/commands/monitor/index.js';
import { ManualRunner, SweepBus, aurocFor, prepareStudy, sweep, tinyStudy } from './fixtures/sweep.js';
import { FakeStdin, FakeStdout, asStdin, asStdout } from './fixtures/terminal.js';
import { until } from './fixtures/until.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));
function tmpDb(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iae-tui-'));
  return { dir, db: join(dir, 'study.sqlite3') };
}

test('the monitor shows running trials, finished trials and failures as the database holds them', async () => {
  const { dir, db } = tmpDb();
  const writer = openSqliteStorage(db);
  const study = tinyStudy();
  const { studyId, points } = await prepareStudy(writer, study);
  const runner = new ManualRunner(2);
  const abort = new AbortController();
  // The scheduler tells the bus once it wrote a trial's progress or outcome: the test waits for that, not for time.
  const bus = new SweepBus();
  const done = sweep(writer, study, studyId, runner, abort.signal, bus);
  await until(runner, 'run', () => runner.runs.size === 2, 'two trials to start');

  const reader = openSqliteStorage(db, { readonly: true });
  const feed = new MonitorFeed({
    storage: reader,
    study: (await reader.getStudy(study.name))!,
    pollMs: 20,
    intervalMs: 0,
    minReloadMs: 0,
  });
  try {
    // Trial A: pretraining done, two joint epochs. Trial B: just started.
    const [a, b] = [...runner.runs.values()];
    a!.emit({ type: 'backend', backend: 'wasm', notes: [] });
    a!.emit({ type: 'phase', phase: 'pretrain', epochs: 2 });
    a!.emit({ type: 'epoch', phase: 'pretrain', epoch: 1, epochs: 2, losses: { total: 1, rec: 1 } });
    a!.emit({ type: 'epoch', phase: 'pretrain', epoch: 2, epochs: 2, losses: { total: 0.5, rec: 0.5 } });
    a!.emit({ type: 'phase', phase: 'joint', epochs: 3 });
    a!.emit({
      type: 'epoch',
      phase: 'joint',
      epoch: 1,
      epochs: 3,
      losses: { total: 0.3, svdd: 0.1, rec: 0.2, kl: 0.01 },
      auroc: { svdd: 0.61 },
    });
    a!.emit({
      type: 'epoch',
      phase: 'joint',
      epoch: 2,
      epochs: 3,
      losses: { total: 0.2, svdd: 0.05, rec: 0.15, kl: 0.02 },
      auroc: { svdd: 0.66 },
    });
    // The scheduler writes a trial's progress in order, asynchronously: the last epoch stored means all of it is.
    await until(
      bus,
      'progress',
      () => !!bus.written.get(a!.task.trialId)?.some((p) => p.type === 'epoch' && p.phase === 'joint' && p.epoch === 2),
      'the progress written',
    );
    assert.ok((await writer.getTrial(a!.task.trialId)).intermediate.has(2), 'the last epoch stored');

    await feed.poll();
    feed.store.flush();
    let s = feed.store.getSnapshot();
    assert.deepEqual(s.counts, { complete: 0, running: 2, waiting: points.length - 2, failed: 0, pruned: 0 });
    assert.equal(s.points, points.length);
    assert.equal(s.dataset, 'synthetic');
    const liveA = s.running.find((t) => t.trialId === a!.task.trialId)!;
    assert.equal(liveA.phase, 'joint');
    assert.equal(liveA.epoch, 2);
    assert.equal(liveA.epochs, 3);
    assert.equal(liveA.backend, 'wasm');
    assert.deepEqual(liveA.auroc, [0.61, 0.66]);
    assert.deepEqual(liveA.losses, { total: 0.2, svdd: 0.05, rec: 0.15, kl: 0.02 });
    const liveB = s.running.find((t) => t.trialId === b!.task.trialId)!;
    assert.equal(liveB.phase, 'starting');
    assert.notEqual(liveA.worker, liveB.worker, 'each running trial has its own worker row');

    // A finishes, B fails: both appear once in the log; the report is export's.
    a!.finish({ value: 0.7, auroc: { svdd: 0.7 }, attrs: {} });
    b!.fail(new Error('tensor shape mismatch [4,8] vs [8,4]\n    at decoder (models.ts:10:3)'));
    await until(bus, 'finished', () => bus.outcomes.length === 2, 'outcomes written');
    const stored = await writer.countTrials(studyId);
    assert.deepEqual([stored[TrialState.COMPLETE], stored[TrialState.FAIL]], [1, 1]);
    await feed.poll();
    feed.keeper.computeNow();
    feed.store.flush();
    s = feed.store.getSnapshot();
    assert.deepEqual(
      s.log.map((l) => [l.kind, l.number]),
      [
        ['COMPLETE', a!.task.trialNumber],
        ['FAIL', b!.task.trialNumber],
      ],
    );
    assert.equal(s.log[0]!.value, 0.7);
    assert.equal(s.failed.length, 1);
    assert.equal(s.failed[0]!.error, 'tensor shape mismatch [4,8] vs [8,4]');
    assert.ok(s.meanSeconds !== null, 'a finished trial gives the ETA its mean');
    const expected = buildReport(
      {
        study: (await writer.getStudy(study.name))!,
        trials: await writer.getTrials(studyId, [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED]),
      },
      { select: 'oracle' },
    );
    assert.deepEqual(s.report!.tables, expected.tables);
    assert.deepEqual(s.report!.grids, expected.grids);

    // Trials that start and finish between two polls are still counted (reload on mismatch).
    await until(runner, 'run', () => runner.runs.size === 4, 'the next two trials');
    const later = [...runner.runs.values()].slice(2);
    for (const r of later)
      r.finish({ value: aurocFor(r.task.params), auroc: { svdd: aurocFor(r.task.params) }, attrs: {} });
    await until(bus, 'finished', () => bus.outcomes.length === 4, 'both written');
    assert.equal((await writer.countTrials(studyId))[TrialState.COMPLETE], 3);
    await until(runner, 'run', () => runner.runs.size === 6, 'two more to start');
    await feed.poll();
    feed.store.flush();
    s = feed.store.getSnapshot();
    assert.equal(s.counts.complete, 3);
    assert.equal(s.log.filter((l) => l.kind === 'COMPLETE').length, 3);

    // Ctrl-C of the sweep: running trials go back to WAITING, and the monitor says so.
    abort.abort();
    await done;
    await feed.poll();
    feed.store.flush();
    s = feed.store.getSnapshot();
    assert.equal(s.running.length, 0);
    assert.equal(s.log.filter((l) => l.kind === 'INTERRUPTED').length, 2);
  } finally {
    await feed.stop();
    await reader.close();
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a monitor polling all the time never makes a sweep in another process fail', async (t) => {
  const { dir, db } = tmpDb();
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'child-sweep.ts'), db, '6', '10'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    let childCode: number | null | undefined;
    child.on('exit', (code) => (childCode = code));

    // The child says when its study is stored; then poll as fast as the loop allows.
    await until(
      child.stdout,
      'data',
      () => /^ready$/m.test(out) || childCode !== undefined,
      'the child to store its study',
      {
        detail: () => err,
      },
    );
    const reader = openSqliteStorage(db, { readonly: true });
    assert.ok(await reader.getStudy('concurrent'), `the child never created its study: ${err}`);
    const feed = new MonitorFeed({
      storage: reader,
      study: (await reader.getStudy('concurrent'))!,
      pollMs: 1,
      intervalMs: 0,
      minReloadMs: 0,
    });
    let polls = 0;
    let sawRunning = 0;
    while (childCode === undefined) {
      await feed.poll();
      feed.store.flush();
      const s = feed.store.getSnapshot();
      assert.equal(s.stale, null, 'every read succeeds');
      sawRunning = Math.max(sawRunning, s.running.length);
      polls++;
      await nextTurn(); // lets the child's exit be heard
    }
    await feed.stop();
    assert.equal(childCode, 0, `child failed: ${err}`);
    const summary = JSON.parse(out.trim().split('\n').pop()!);
    assert.equal(summary.failed, 0, `trials failed under the monitor: ${summary.errors.join('; ')}`);
    assert.equal(summary.completed, 6 * 9);
    assert.ok(polls > 50, `${polls} polls`);
    t.diagnostic(
      `${polls} polls while the child ran ${summary.completed} trials in ${summary.ms} ms; at most ${sawRunning} running seen`,
    );
    assert.ok(sawRunning > 0, 'the monitor saw trials running');
    await feed.poll();
    feed.store.flush();
    assert.equal(feed.store.getSnapshot().counts.complete, 54);
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('monitor into a pipe: plain ASCII lines, no escape codes, ends when nothing runs or waits', async () => {
  const { dir, db } = tmpDb();
  try {
    const writer = openSqliteStorage(db);
    const study = tinyStudy({ name: 'piped' });
    const { studyId } = await prepareStudy(writer, study);
    const runner = new ManualRunner(2);
    const abort = new AbortController();
    const done = sweep(writer, study, studyId, runner, abort.signal);
    const lines: string[] = [];
    const stdout = new PassThrough() as unknown as NodeJS.WriteStream; // not a TTY
    const monitor = runMonitor({
      target: 'piped',
      db,
      signal: new AbortController().signal,
      pollMs: 20,
      stdout,
      write: (l) => lines.push(l),
    });
    // Drive the sweep to its end while the monitor watches.
    const finished = new Set<number>();
    while (finished.size < 8) {
      await until(runner, 'run', () => runner.runs.size > finished.size, 'the next trial to start');
      for (const [id, r] of runner.runs) {
        if (finished.has(id)) continue;
        finished.add(id);
        if (r.task.params.normalClass === 1 && r.task.params.lambdaKl === 0.01 && r.task.params.lambdaRec === 1)
          r.fail(new Error('boom\nstack'));
        else r.finish({ value: aurocFor(r.task.params), auroc: { svdd: aurocFor(r.task.params) }, attrs: {} });
      }
    }
    await done;
    await monitor;
    await writer.close();
    const text = lines.join('\n');
    assert.doesNotMatch(text, /\x1b/, 'no escape codes');
    assert.match(text, /^[\x20-\x7e\n]*$/, 'ASCII only');
    assert.match(text, /monitoring study piped/);
    assert.match(text, /FAIL \(\d+s\): boom$/m);
    assert.match(text, /trials 7\/8 done, 0 running, 0 waiting, 1 failed$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('monitor in a terminal: the live screen from the database, q leaves and the database is untouched', async () => {
  const { dir, db } = tmpDb();
  try {
    const writer = openSqliteStorage(db);
    const study = tinyStudy({ name: 'watched' });
    const { studyId } = await prepareStudy(writer, study);
    const runner = new ManualRunner(2);
    const abort = new AbortController();
    const done = sweep(writer, study, studyId, runner, abort.signal);
    await until(runner, 'run', () => runner.runs.size === 2, 'two trials to start');
    const stdout = new FakeStdout(120, 30);
    const stdin = new FakeStdin();
    const monitor = runMonitor({
      target: 'watched',
      db,
      signal: new AbortController().signal,
      pollMs: 20,
      stdout: asStdout(stdout),
      stdin: asStdin(stdin),
      caps: { color: false, unicode: false },
    });
    await until(
      stdout,
      'write',
      () => /trials 0\/8 done \| 2 running \| 6 waiting \| 0 failed/.test(stdout.text()),
      'the counts on screen',
      { detail: () => stdout.text() },
    );
    const [a] = [...runner.runs.values()];
    a!.finish({ value: 0.777, auroc: { svdd: 0.777 }, attrs: {} });
    await until(
      stdout,
      'write',
      () => /\+ #\d+ w\d IAE-LSTM-KL\(h\) .* AUROC 0\.777/.test(stdout.text()),
      'the finished trial above the live area',
      { detail: () => stdout.text() },
    );
    const before = (await writer.getTrials(studyId)).map((t) => [t.id, t.state, t.value]);
    stdin.type('q');
    await monitor;
    assert.deepEqual(
      (await writer.getTrials(studyId)).map((t) => [t.id, t.state, t.value]),
      before,
      'the monitor wrote nothing',
    );
    assert.match(stdout.text(), /^[\x00-\x7f]*$/, 'ASCII when asked');
    abort.abort();
    await done;
    await writer.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trials that start and end between two polls still get their log line (at the latest on the last poll)', async () => {
  const { dir, db } = tmpDb();
  try {
    const writer = openSqliteStorage(db);
    const study = tinyStudy({ name: 'between' });
    const { studyId } = await prepareStudy(writer, study);
    const reader = openSqliteStorage(db, { readonly: true });
    // A reload gap far longer than the test: only the forced last poll may reload.
    const feed = new MonitorFeed({
      storage: reader,
      study: (await reader.getStudy('between'))!,
      pollMs: 20,
      intervalMs: 0,
      minReloadMs: 3_600_000,
    });
    try {
      await feed.poll();
      // Two trials claimed and finished with no poll in between: never seen RUNNING.
      const a = (await writer.claimTrial(studyId, 'w:1'))!;
      await writer.finishTrial(a.id, TrialState.COMPLETE, 0.7);
      const b = (await writer.claimTrial(studyId, 'w:1'))!;
      await writer.setUserAttrs(b.id, { error: 'boom' });
      await writer.finishTrial(b.id, TrialState.FAIL, null);
      await feed.poll(); // within the reload gap: counts move, the log cannot know which trials yet
      await feed.poll(true);
      feed.store.flush();
      const log = feed.store.getSnapshot().log;
      assert.deepEqual(log.map((l) => [l.number, l.kind]).sort(), [
        [a.number, 'COMPLETE'],
        [b.number, 'FAIL'],
      ]);
    } finally {
      await feed.stop();
      await reader.close();
      await writer.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
