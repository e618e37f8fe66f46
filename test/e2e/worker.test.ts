// Many hosts on one study (issue 13, item 4), through the real CLI in child
// processes, on one real SQLite file, with real worker threads and real tiny
// training: `start --no-run` queues, `sweep worker` processes (each its own
// --host-id, playing separate hosts) join and finish the grid, `status`
// lists the hosts, a host whose data differ is refused, and `--gpus` runs one
// child worker per GPU (on the wasm backend: the children and their
// CUDA_VISIBLE_DEVICES are real, the GPUs are not needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { TrialState } from '../../src/trial/state.js';
import type { FrozenTrial } from '../../src/storage/storage.js';
import { runCli, tinyStudy, trialsOf, waitFor, writeStudy, wtbiCsv } from './helpers.js';

const LONG = 600_000;

/** Per grid point, its trials' states. */
function statesByPoint(trials: readonly FrozenTrial[]): Map<string, TrialState[]> {
  const m = new Map<string, TrialState[]>();
  for (const t of trials) m.set(t.gridPoint, [...(m.get(t.gridPoint) ?? []), t.state]);
  return m;
}

async function studyAttrs(db: string, name: string) {
  const s = openSqliteStorage(db, { readonly: true });
  try {
    return (await s.getStudy(name))!.systemAttrs;
  } finally {
    await s.close();
  }
}

/** Everything a refused command must leave as it was. */
async function snapshot(db: string, name: string): Promise<string> {
  return JSON.stringify({
    study: await studyAttrs(db, name),
    trials: (await trialsOf(db, name)).map((t) => ({
      id: t.id,
      state: t.state,
      sys: t.systemAttrs,
      user: t.userAttrs,
      hb: t.heartbeatAt,
    })),
  });
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

test(
  'start --no-run queues; two workers on one SQLite file finish the grid once; a worker with nothing waiting exits 0; status lists the hosts',
  { timeout: LONG },
  async () => {
    const name = 'multi';
    const { dir, file, db } = writeStudy({
      ...tinyStudy(name, { normalClass: [0, 1, 2, 3], boundary: ['hard'] }),
      workers: 1,
    });
    const cache = join(dir, 'cache');
    const queue = runCli(['start', file, '--db', db, '--cache-dir', cache, '--no-run']);
    assert.equal((await queue.done).code, 0, queue.stderr());
    assert.match(queue.stdout(), /4 grid points, 4 queued now/);
    assert.match(
      queue.stdout(),
      /4 trial\(s\) waiting, none run here \(--no-run\); run them with: sweep worker multi --db /,
    );
    assert.doesNotMatch(queue.stdout(), /running on|started:/);
    assert.match(lastLine(queue.stdout()), /^sweep queued \(--no-run\): study multi/);
    assert.deepEqual(
      (await trialsOf(db, name)).map((t) => t.state),
      Array(4).fill(TrialState.WAITING),
    );
    const fp = (await studyAttrs(db, name)).data_fingerprint as { dataset: string; sha256: string };
    assert.equal(fp.dataset, (tinyStudy(name, {}).dataset as { name: string }).name);
    assert.match(fp.sha256, /^[0-9a-f]{64}$/);

    // Two hosts at once; hostB's id comes from the environment.
    const common = ['--db', db, '--cache-dir', cache, '--workers', '1'];
    const a = runCli(['worker', name, ...common, '--host-id', 'hostA']);
    const b = runCli(['worker', name, ...common], undefined, { IAE_HOST_ID: 'hostB' });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, a.stderr() + a.stdout());
    assert.equal(rb.code, 0, b.stderr() + b.stdout());
    const done = [a, b].map((r) =>
      Number(/^sweep finished: (\d+) completed, 0 failed/.exec(lastLine(r.stdout()))?.[1] ?? NaN),
    );
    assert.equal(done[0]! + done[1]!, 4, `${lastLine(a.stdout())} / ${lastLine(b.stdout())}`);
    let trials = await trialsOf(db, name);
    assert.equal(trials.length, 4, 'no trial added: a worker never queues');
    for (const [point, states] of statesByPoint(trials)) assert.deepEqual(states, [TrialState.COMPLETE], point);
    for (const t of trials) {
      const { host, pid, worker } = t.systemAttrs;
      assert.ok(host === 'hostA' || host === 'hostB', String(host));
      assert.equal(typeof pid, 'number');
      assert.equal(worker, `${host}:${pid}`);
      assert.equal(t.systemAttrs.cuda_visible_devices, process.env.CUDA_VISIBLE_DEVICES);
    }

    // Nothing waits: a worker leaves at once, writing nothing.
    const before = await snapshot(db, name);
    const idle = runCli(['worker', name, ...common, '--host-id', 'hostD']);
    assert.equal((await idle.done).code, 0, idle.stderr());
    assert.match(idle.stdout(), /0 trial\(s\) waiting/);
    assert.match(lastLine(idle.stdout()), /^sweep finished: 0 completed, 0 failed/);
    assert.equal(await snapshot(db, name), before);

    // A grown grid is queued by start --no-run and run by a third host.
    writeFileSync(
      file,
      JSON.stringify({ ...tinyStudy(name, { normalClass: [0, 1, 2, 3, 4], boundary: ['hard'] }), workers: 1 }),
    );
    const grow = runCli(['start', file, '--db', db, '--cache-dir', cache, '--no-run']);
    assert.equal((await grow.done).code, 0, grow.stderr());
    assert.match(grow.stdout(), /5 grid points, 1 queued now, 4 already done or queued/);
    const c = runCli(['worker', name, ...common, '--host-id', 'hostC']);
    assert.equal((await c.done).code, 0, c.stderr());
    assert.match(lastLine(c.stdout()), /^sweep finished: 1 completed, 0 failed/);
    trials = await trialsOf(db, name);
    assert.equal(trials.length, 5);
    for (const [point, states] of statesByPoint(trials)) assert.deepEqual(states, [TrialState.COMPLETE], point);

    const status = runCli(['status', name, '--db', db, '--json']);
    assert.equal((await status.done).code, 0, status.stderr());
    const st = JSON.parse(status.stdout()) as {
      hosts: {
        host: string;
        done: number;
        running: number;
        failed: number;
        pids: number[];
        lastHeartbeat: string | null;
      }[];
    };
    const ran = [...new Set(trials.map((t) => String(t.systemAttrs.host)))].sort();
    assert.deepEqual(
      st.hosts.map((h) => h.host),
      ran,
    );
    assert.ok(ran.includes('hostC') && ran.length >= 2, ran.join(', '));
    for (const h of st.hosts) {
      assert.equal(h.done, trials.filter((t) => t.systemAttrs.host === h.host).length);
      assert.deepEqual([h.running, h.failed], [0, 0]);
      assert.ok(h.lastHeartbeat && !Number.isNaN(Date.parse(h.lastHeartbeat)));
      assert.ok(h.pids.length >= 1);
    }
    const text = runCli(['status', name, '--db', db]);
    assert.equal((await text.done).code, 0, text.stderr());
    assert.match(text.stdout(), new RegExp(`^hosts: ${ran.length}$`, 'm'));
    assert.match(
      text.stdout(),
      /^ {2}hostC +done 1, running 0, failed 0; last heartbeat \d{4}-\d\d-\d\dT[\d:.]+Z; pids \d+$/m,
    );
  },
);

test(
  "data that differ from the study's, a missing study or database: exit 2 naming them, nothing written",
  { timeout: LONG },
  async () => {
    const name = 'tampered';
    const { dir, file, db } = writeStudy({
      ...tinyStudy(name, { normalClass: [0, 1], boundary: ['hard'] }),
      workers: 1,
    });
    const cache = join(dir, 'cache');
    const queue = runCli(['start', file, '--db', db, '--cache-dir', cache, '--no-run']);
    assert.equal((await queue.done).code, 0, queue.stderr());
    const real = (await studyAttrs(db, name)).data_fingerprint as { dataset: string; sha256: string };
    // As if the study had been started on a host with other files.
    const other = 'f'.repeat(64);
    const s = openSqliteStorage(db);
    await s.setStudySystemAttr((await s.getStudy(name))!.id, 'data_fingerprint', {
      dataset: real.dataset,
      sha256: other,
    });
    await s.close();
    const before = await snapshot(db, name);
    for (const args of [
      ['worker', name, '--db', db, '--cache-dir', cache, '--host-id', 'h'],
      ['start', file, '--db', db, '--cache-dir', cache, '--no-run'],
      ['start', file, '--db', db, '--cache-dir', cache],
    ]) {
      const r = runCli(args);
      assert.equal((await r.done).code, 2, `${args.join(' ')}: ${r.stderr()}`);
      const err = r.stderr();
      assert.match(
        err,
        new RegExp(
          `data set "${real.dataset}" on this host differs from the one study "${name}" was started with \\(database ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`,
        ),
      );
      assert.ok(err.includes(`this host:  sha256 ${real.sha256}`) && err.includes(`the study:  sha256 ${other}`), err);
      assert.match(err, /same files on every host[\s\S]*sweep data list/);
      assert.doesNotMatch(r.stdout(), /running on|started:/);
      assert.equal(await snapshot(db, name), before, `${args[0]} wrote nothing`);
    }

    const missing = runCli(['worker', 'nope', '--db', db]);
    assert.equal((await missing.done).code, 2);
    assert.match(missing.stderr(), /no study "nope" in this database \(it has: tampered\)/);
    assert.ok(missing.stderr().includes(db));
    const nodb = join(dir, 'absent.sqlite3');
    const noFile = runCli(['worker', name, '--storage', nodb]);
    assert.equal((await noFile.done).code, 2);
    assert.ok(noFile.stderr().includes(`${nodb}: no database for study "${name}"`), noFile.stderr());
    assert.equal(existsSync(nodb), false, 'a worker never creates a database');
  },
);

test(
  '--gpus 0,1: one child worker per GPU, each with its CUDA_VISIBLE_DEVICES in its trials; bad --gpus refused',
  { timeout: LONG },
  async () => {
    for (const [args, re] of [
      [['--gpus', '0,0'], /--gpus: a GPU is named twice/],
      [['--gpus', 'x'], /--gpus: expected GPU ids/],
      [['--gpus', '0', '--workers', '2'], /--workers: --gpus runs one worker per GPU/],
    ] as const) {
      const r = runCli(['worker', 'any', '--db', '/nonexistent.sqlite3', ...args]);
      assert.equal((await r.done).code, 2, r.stderr());
      assert.match(r.stderr(), re);
    }
    const name = 'gpus';
    const { dir, file, db } = writeStudy({
      ...tinyStudy(name, { normalClass: [0, 1, 2], boundary: ['hard'] }),
      workers: 1,
    });
    const cache = join(dir, 'cache');
    const queue = runCli(['start', file, '--db', db, '--cache-dir', cache, '--no-run']);
    assert.equal((await queue.done).code, 0, queue.stderr());
    const run = runCli(['worker', name, '--db', db, '--cache-dir', cache, '--gpus', '0,1', '--host-id', 'gpubox']);
    assert.equal((await run.done).code, 0, run.stderr() + run.stdout());
    const out = run.stdout();
    const spawned = /^one worker process per GPU: gpu 0 pid (\d+), gpu 1 pid (\d+)$/m.exec(out);
    assert.ok(spawned, out);
    const pids = { '0': Number(spawned[1]), '1': Number(spawned[2]) };
    assert.ok(!Object.values(pids).includes(run.child.pid!), 'children, not the parent');
    for (const [gpu, pid] of Object.entries(pids))
      assert.match(
        out,
        new RegExp(
          `^\\[gpu ${gpu}\\] running on 1 worker thread\\(s\\); host gpubox, pid ${pid}, CUDA_VISIBLE_DEVICES=${gpu}$`,
          'm',
        ),
      );
    assert.match(
      lastLine(out),
      new RegExp(
        `^GPU workers done: gpu 0 \\(pid ${pids['0']}\\) exit 0, gpu 1 \\(pid ${pids['1']}\\) exit 0; exit 0$`,
      ),
    );
    const trials = await trialsOf(db, name);
    assert.equal(trials.length, 3);
    for (const [point, states] of statesByPoint(trials)) assert.deepEqual(states, [TrialState.COMPLETE], point);
    for (const t of trials) {
      const gpu = t.systemAttrs.cuda_visible_devices as '0' | '1';
      assert.ok(gpu === '0' || gpu === '1', String(gpu));
      assert.equal(t.systemAttrs.pid, pids[gpu], 'the trial ran in the child of its GPU');
      assert.equal(t.systemAttrs.host, 'gpubox');
    }
  },
);

/** A 4-point study queued with --no-run, and a `worker --gpus 0,1` on it, once a trial trains in one of its children. */
async function gpuWorkerTraining(name: string) {
  const { dir, file, db } = writeStudy({
    ...tinyStudy(name, { normalClass: [0, 1, 2, 3] }, { pretrainEpochs: 3, jointEpochs: 3 }),
    workers: 1,
  });
  const cache = join(dir, 'cache');
  const queue = runCli(['start', file, '--db', db, '--cache-dir', cache, '--no-run']);
  assert.equal((await queue.done).code, 0, queue.stderr());
  const run = runCli(['worker', name, '--db', db, '--cache-dir', cache, '--gpus', '0,1']);
  await waitFor(
    () => /^\[gpu \d\] \[[\d:]+\] trial \d+ \[w0\] (pretraining|joint training)/m.test(run.stdout()),
    LONG,
    'a trial training in a child',
  );
  return { db, run };
}

test(
  'SIGTERM to a --gpus parent reaches its children: their running trials go back to WAITING, exit 0',
  { timeout: LONG },
  async () => {
    const name = 'gpustop';
    const { db, run } = await gpuWorkerTraining(name);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.done;
    assert.equal(signal, null);
    assert.equal(code, 0, run.stderr() + run.stdout());
    assert.match(run.stderr(), /SIGTERM: stopping the GPU workers/);
    assert.match(
      run.stdout(),
      /^\[gpu \d\] sweep stopped: \d+ completed, 0 failed, [1-9]\d* interrupted and queued again/m,
    );
    const trials = await trialsOf(db, name);
    assert.equal(trials.length, 4, 'no trial duplicated');
    assert.equal(trials.filter((t) => t.state === TrialState.RUNNING || t.state === TrialState.FAIL).length, 0);
    assert.ok(trials.some((t) => t.state === TrialState.WAITING));
  },
);

test('a worker whose trials failed exits 3, as start does', { timeout: LONG }, async () => {
  const name = 'wfail';
  // WTBI's training split holds normal windows only: the contaminated point fails in its worker, the clean one completes.
  const base = writeStudy({ name });
  const study = {
    ...tinyStudy(name, { normalClass: [0], contamination: [0, 0.1], boundary: ['hard'] }),
    workers: 1,
    dataset: { name: 'wtbi', file: wtbiCsv(base.dir) },
  };
  writeFileSync(base.file, JSON.stringify(study));
  const cache = join(base.dir, 'cache');
  const queue = runCli(['start', base.file, '--db', base.db, '--cache-dir', cache, '--no-run']);
  assert.equal((await queue.done).code, 0, queue.stderr());
  const run = runCli(['worker', name, '--db', base.db, '--cache-dir', cache, '--host-id', 'h']);
  assert.equal((await run.done).code, 3, run.stderr() + run.stdout());
  assert.match(lastLine(run.stdout()), /^sweep finished: 1 completed, 1 failed/);
  assert.deepEqual(
    (await trialsOf(base.db, name)).map((t) => t.state).sort(),
    [TrialState.COMPLETE, TrialState.FAIL].sort(),
  );
});

test(
  'a second signal to a --gpus parent exits at once (128 + n), and its children go with it',
  { timeout: LONG },
  async () => {
    const name = 'gputwice';
    const { run } = await gpuWorkerTraining(name);
    const pids = /^one worker process per GPU: gpu 0 pid (\d+), gpu 1 pid (\d+)$/m
      .exec(run.stdout())!
      .slice(1)
      .map(Number);
    run.child.kill('SIGINT');
    await waitFor(() => /SIGINT: stopping the GPU workers/.test(run.stderr()), LONG, 'the first stop');
    run.child.kill('SIGINT');
    assert.equal((await run.done).code, 130, run.stderr());
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !pids.some(alive), 60_000, 'the children to exit');
  },
);
