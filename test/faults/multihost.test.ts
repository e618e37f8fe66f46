// Many hosts on one study against a real PostgreSQL server (issue 13, items
// 10, 7 and 11), through the real CLI in child processes, with real worker
// threads and real tiny training:
// - `start --no-run` queues the grid; three `sweep worker` processes, each
//   with its own --host-id and its own --cache-dir (separate hosts share no
//   disk), run it; one is killed with SIGKILL in the middle of a trial and
//   a surviving worker, already running (a worker does not leave while another
//   host's trial runs), takes its point over once its heartbeat is
//   --stale-after old;
// - every grid point ends with exactly one COMPLETE trial, and each
//   pretraining key was built once across all hosts (shared through the
//   database's artifacts, not the local caches);
// - status, export and monitor work with a role that has SELECT only;
// - the URL's password appears in no output, error or stored attribute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import { TrialState } from '../../src/trial/state.js';
import type { FrozenTrial } from '../../src/storage/storage.js';
import { runCli, tinyStudy, waitFor, writeStudy, type Run } from '../e2e/helpers.js';
import { APP_PASSWORD, READER_PASSWORD, READER_USER, startPgServer } from '../storage/pg-server.js';

const LONG = 600_000;
/** Short, so that the test does not wait long for the killed host's trial; well above the 5 s heartbeat. */
const STALE_S = 20;
const SECRETS: string[] = [APP_PASSWORD, encodeURIComponent(APP_PASSWORD), READER_PASSWORD];

async function trialsOf(url: string, name: string): Promise<FrozenTrial[]> {
  const s = await openPostgresStorage(url, { readonly: true });
  try {
    const study = await s.getStudy(name);
    return study ? await s.getTrials(study.id) : [];
  } finally {
    await s.close();
  }
}

function assertNoSecret(what: string, text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} shows the password: ${text.slice(0, 2000)}`);
}

/** Every file under a folder, as text (the export's tables). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test(
  'three hosts on one PostgreSQL study, one killed mid-trial: each point COMPLETE once, each pretraining built once; read-only tools with a SELECT-only role; the password shown nowhere',
  { timeout: LONG },
  async (t) => {
    const server = await startPgServer();
    t.after(() => server.stop());
    const dbName = await server.freshDatabase('multihost');
    const url = server.url(dbName);
    const name = 'multihost';
    // Three pretraining keys (one per normal class), two points each (the boundary does not change the pretraining).
    const study = {
      ...tinyStudy(name, { normalClass: [0, 1, 2], boundary: ['hard', 'soft'] }, { pretrainEpochs: 3, jointEpochs: 3 }),
      workers: 1,
    };
    const { dir, file } = writeStudy(study);
    const runs: { what: string; run: Run }[] = [];
    const cli = (what: string, args: string[]) => {
      const run = runCli(args);
      runs.push({ what, run });
      return run;
    };

    const queue = cli('start --no-run', [
      'start',
      file,
      '--db',
      url,
      '--cache-dir',
      join(dir, 'cache-start'),
      '--no-run',
    ]);
    assert.equal((await queue.done).code, 0, queue.stderr());
    assert.match(queue.stdout(), /6 grid points, 6 queued now/);

    const worker = (host: string) => {
      const cache = join(dir, `cache-${host}`);
      mkdirSync(cache, { recursive: true });
      return cli(`worker ${host}`, [
        'worker',
        name,
        '--db',
        url,
        '--cache-dir',
        cache,
        '--workers',
        '1',
        '--host-id',
        host,
        '--stale-after',
        String(STALE_S),
      ]);
    };
    const [victim, b, c] = ['hostA', 'hostB', 'hostC'].map(worker) as [Run, Run, Run];

    // The victim in the middle of a trial: RUNNING in the database under its host id, and training in its worker thread.
    let killedTrial = -1;
    await waitFor(
      async () => {
        if (!/\] trial \d+ \[w0\] (pretraining|joint training)/m.test(victim.stdout())) return false;
        const mine = (await trialsOf(url, name)).find(
          (x) => x.state === TrialState.RUNNING && x.systemAttrs.host === 'hostA',
        );
        if (mine) killedTrial = mine.id;
        return mine !== undefined;
      },
      LONG,
      'a trial of hostA training',
    );
    victim.child.kill('SIGKILL');
    assert.equal((await victim.done).signal, 'SIGKILL');
    // A worker leaves only when nothing waits and nothing runs on any host
    // (`sweep worker --help`): while hostA's trial is RUNNING the survivors
    // stay, watching it if they have nothing else to do, and one of them takes
    // it over once its heartbeat is --stale-after old by the server's clock,
    // and runs its point. No other host is started: the two exit 0 when done.
    for (const r of [b, c]) assert.equal((await r.done).code, 0, r.stderr() + r.stdout());
    const phase = [...victim.stdout().matchAll(/\] trial \d+ \[w0\] (pretraining|joint training)/g)].at(-1)?.[1];
    const takers = (
      [
        ['hostB', b],
        ['hostC', c],
      ] as const
    ).filter(([, r]) => /queued again \d+ trial\(s\) whose process stopped sending heartbeats/.test(r.stdout()));
    assert.ok(takers.length >= 1, `a surviving worker took hostA's trial over:\n${b.stdout()}\n${c.stdout()}`);
    const watched = [b, c].some((r) => /nothing waits; watching \d+ trial\(s\) other processes run/.test(r.stdout()));
    const recoveredBy = `${takers.map(([h]) => h).join(' and ')}, already running${watched ? ' (one was idle, watching)' : ''}`;

    const trials = await trialsOf(url, name);
    const byPoint = new Map<string, FrozenTrial[]>();
    for (const x of trials) byPoint.set(x.gridPoint, [...(byPoint.get(x.gridPoint) ?? []), x]);
    assert.equal(byPoint.size, 6);
    for (const [point, ts] of byPoint) {
      const complete = ts.filter((x) => x.state === TrialState.COMPLETE);
      assert.equal(
        complete.length,
        1,
        `${point}: ${ts.map((x) => `${x.state}@${String(x.systemAttrs.host)}`).join(', ')}`,
      );
      assert.deepEqual(
        ts.filter((x) => x.state !== TrialState.COMPLETE && x.state !== TrialState.FAIL),
        [],
        point,
      );
    }
    // The killed trial (and any trial hostA held) FAILed as a process failure; another host completed each of their points.
    const killed = trials.find((x) => x.id === killedTrial)!;
    assert.equal(killed.state, TrialState.FAIL);
    const failed = trials.filter((x) => x.state === TrialState.FAIL);
    for (const f of failed) {
      assert.equal(f.systemAttrs.host, 'hostA', `only the killed host's trials fail (trial ${f.id})`);
      assert.equal(f.systemAttrs.fail_kind, 'process');
      assert.match(String(f.userAttrs.error), /stale heartbeat/);
      const done = byPoint.get(f.gridPoint)!.find((x) => x.state === TrialState.COMPLETE)!;
      assert.ok(
        ['hostB', 'hostC'].includes(String(done.systemAttrs.host)),
        `point ${f.gridPoint} completed by a surviving host, not ${String(done.systemAttrs.host)}`,
      );
    }

    // Pretraining ran once per key across all hosts: one miss per key among the completed trials, one artifact per key.
    const missesByKey = new Map<string, number>();
    for (const x of trials.filter((y) => y.state === TrialState.COMPLETE)) {
      const key = String(x.userAttrs.pretrain_cache_key);
      assert.ok(
        ['hit', 'miss'].includes(String(x.userAttrs.pretrain_cache)),
        `trial ${x.id}: pretrain_cache ${String(x.userAttrs.pretrain_cache)}`,
      );
      missesByKey.set(key, (missesByKey.get(key) ?? 0) + (x.userAttrs.pretrain_cache === 'miss' ? 1 : 0));
    }
    assert.equal(missesByKey.size, 3, [...missesByKey.keys()].join(', '));
    assert.deepEqual([...missesByKey.values()], [1, 1, 1], JSON.stringify([...missesByKey]));
    const artifacts = await server.sql(
      dbName,
      "SELECT key FROM iae_artifacts WHERE key LIKE 'pretrain/%' ORDER BY key",
    );
    assert.deepEqual(
      artifacts.rows.map((r) => (r as { key: string }).key),
      [...missesByKey.keys()].map((k) => `pretrain/${k}`).sort(),
    );
    const hosts = [
      ...new Set(trials.filter((x) => x.state === TrialState.COMPLETE).map((x) => String(x.systemAttrs.host))),
    ];
    assert.ok(hosts.length >= 2, `completed on ${hosts.join(', ')}`);
    console.log(
      `killed hostA during ${phase ?? '?'} (trial ${killedTrial}); ${failed.length} FAIL trial(s) of hostA, recovered by ${recoveredBy}; ` +
        `completed on ${hosts.sort().join(', ')}; pretraining misses per key: ${[...missesByKey.values()].join(', ')}`,
    );

    // Item 7: the read-only tools with a role that has SELECT only.
    await server.sql(
      dbName,
      `GRANT USAGE ON SCHEMA public TO ${READER_USER}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER_USER}`,
    );
    const readerUrl = server.url(dbName, { user: READER_USER });
    const status = cli('status (reader)', ['status', name, '--db', readerUrl]);
    assert.equal((await status.done).code, 0, status.stderr());
    const ran = [...new Set(trials.map((x) => String(x.systemAttrs.host)))].sort();
    assert.match(status.stdout(), new RegExp(`^hosts: ${ran.length}$`, 'm'));
    for (const h of ran)
      assert.match(status.stdout(), new RegExp(`^ {2}${h} +done \\d+, running 0, failed \\d+; last heartbeat`, 'm'));
    const statusJson = cli('status --json (reader)', ['status', name, '--db', readerUrl, '--json']);
    assert.equal((await statusJson.done).code, 0, statusJson.stderr());
    const st = JSON.parse(statusJson.stdout()) as { hosts: { host: string; done: number; failed: number }[] };
    assert.deepEqual(
      st.hosts.map((h) => h.host),
      ran,
    );
    assert.equal(st.hosts.find((h) => h.host === 'hostA')!.failed, failed.length);

    const out = join(dir, 'reports');
    const exp = cli('export (reader)', ['export', name, '--db', readerUrl, '--out', out, '--no-figures']);
    assert.equal((await exp.done).code, 0, exp.stderr() + exp.stdout());
    const written = filesUnder(out);
    assert.ok(written.some((f) => f.endsWith('.md')) && written.some((f) => f.endsWith('.csv')), written.join(', '));
    for (const f of written) assertNoSecret(`exported ${f}`, readFileSync(f, 'utf8'));

    // In a pipe the monitor prints plain lines and ends when nothing runs or waits: here, at once.
    const mon = cli('monitor (reader)', ['monitor', name, '--db', readerUrl]);
    assert.equal((await mon.done).code, 0, mon.stderr());
    assert.match(
      mon.stdout(),
      /monitoring study multihost \(postgresql:\/\/iae_reader:\*\*\*@127\.0\.0\.1:\d+\/\w+\), read-only/,
    );
    assert.match(mon.stdout(), /trials 6\/6 done, 0 running, 0 waiting, \d+ failed/);

    // Item 11: the password in no output, error or stored attribute.
    for (const { what, run } of runs) {
      assertNoSecret(`${what} stdout`, run.stdout());
      assertNoSecret(`${what} stderr`, run.stderr());
    }
    for (const table of [
      'study_user_attributes',
      'study_system_attributes',
      'trial_user_attributes',
      'trial_system_attributes',
    ]) {
      const r = await server.sql(dbName, `SELECT key, value_json FROM ${table}`);
      assert.ok(r.rows.length > 0 || table === 'study_user_attributes', table);
      for (const row of r.rows as { key: string; value_json: string }[])
        assertNoSecret(`${table}.${row.key}`, row.value_json);
    }
    // The status JSON, the worker lines and the monitor name the database by its masked URL.
    assert.ok(
      runs.some(({ run }) => run.stdout().includes('postgresql://iae:***@')),
      'the masked URL is shown somewhere',
    );
  },
);

test(
  'a password in the study file\'s "storage" URL, or in a URL that is refused, appears in no output, error or stored attribute',
  { timeout: LONG },
  async (t) => {
    const server = await startPgServer();
    t.after(() => server.stop());
    const dbName = await server.freshDatabase('secret');
    const url = server.url(dbName);
    const name = 'secret';
    // The study names its database itself: start takes it from the file (no --db).
    const { dir, file } = writeStudy({ ...tinyStudy(name, { normalClass: [0, 1] }), workers: 1, storage: url });
    const runs: { what: string; run: Run }[] = [];
    const cli = async (what: string, args: string[], code: number) => {
      const run = runCli(args);
      runs.push({ what, run });
      assert.equal((await run.done).code, code, `${what}: ${run.stderr()}${run.stdout()}`);
      return run;
    };
    const cache = join(dir, 'cache');
    await cli('start --no-run (storage in the file)', ['start', file, '--cache-dir', cache, '--no-run'], 0);
    // Again: an unchanged definition is not reported as changed (the stored one has its password masked).
    const again = await cli('start --no-run again', ['start', file, '--cache-dir', cache, '--no-run'], 0);
    assert.doesNotMatch(again.stdout(), /definition changed/);

    // Refused: a role that may not write (a worker claims), a wrong password, an unreachable server.
    await server.sql(
      dbName,
      `GRANT USAGE ON SCHEMA public TO ${READER_USER}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER_USER}`,
    );
    const reader = await cli(
      'worker with the SELECT-only role',
      ['worker', name, '--db', server.url(dbName, { user: READER_USER }), '--cache-dir', cache, '--host-id', 'r'],
      2,
    );
    assert.match(reader.stderr(), /iae_reader:\*\*\*@/);
    const wrong = 'Wrong-Pw:9/x';
    SECRETS.push(wrong, encodeURIComponent(wrong));
    const bad = await cli(
      'status with a wrong password',
      ['status', name, '--db', server.url(dbName, { password: wrong })],
      2,
    );
    assert.match(bad.stderr(), /password/i);
    const unreachable = url.replace(`:${server.port}/`, ':1/');
    await cli('status of an unreachable server', ['status', name, '--db', unreachable], 2);

    for (const { what, run } of runs) {
      assertNoSecret(`${what} stdout`, run.stdout());
      assertNoSecret(`${what} stderr`, run.stderr());
    }
    for (const table of [
      'study_user_attributes',
      'study_system_attributes',
      'trial_user_attributes',
      'trial_system_attributes',
    ]) {
      const r = await server.sql(dbName, `SELECT key, value_json FROM ${table}`);
      for (const row of r.rows as { key: string; value_json: string }[])
        assertNoSecret(`${table}.${row.key}`, row.value_json);
    }
    // The stored definition keeps where the study lives, with the password masked.
    const def = await server.sql(dbName, "SELECT value_json FROM study_system_attributes WHERE key = 'definition'");
    assert.match(
      (def.rows[0] as { value_json: string }).value_json,
      /"storage": "postgresql:\/\/iae:\*\*\*@127\.0\.0\.1:\d+\/\w+"/,
    );
  },
);
