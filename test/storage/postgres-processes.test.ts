// Separate worker processes (hosts) on one PostgreSQL study: claims across
// processes give each trial once; a host killed with SIGKILL mid-trial is
// recovered by another after --stale-after by the server's clock, keeping
// what the dead host wrote.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import type { Storage } from '../../src/storage/storage.js';
import { TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints } from './helpers.js';
import { startPgServer, type PgServer } from './pg-server.js';

// .ts under tsx, .js once compiled to dist/.
const WORKER = fileURLToPath(
  new URL(`./fixtures/pg-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

interface Proc {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  readonly report: Promise<Record<string, unknown>>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  go(): void;
}

function worker(args: string[]): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  let onReady!: () => void;
  let onReport!: (r: Record<string, unknown>) => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const report = new Promise<Record<string, unknown>>((res, rej) => ((onReport = res), (onFail = rej)));
  report.catch(() => {});
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl).trim();
      out = out.slice(nl + 1);
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) onReport(JSON.parse(line) as Record<string, unknown>);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) =>
    proc.on('exit', (code, signal) => {
      onFail(new Error(`worker ${args.join(' ')} exited (${code ?? signal}) without a report:\n${stderr}`));
      onReady();
      res({ code, signal, stderr });
    }),
  );
  return { proc, ready, report, exit, go: () => proc.stdin!.write('go\n') };
}

describe('PostgreSQL storage: worker processes on one study', () => {
  let server: PgServer;
  const opened: Storage[] = [];
  before(async () => {
    server = await startPgServer();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });

  it('4 processes claim 200 trials: each exactly once, finished by its claimer', async () => {
    const url = server.url(await server.freshDatabase());
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    const s = await storage.openStudy('race', {});
    await storage.enqueuePoints(s.id, makePoints(200), DISTRIBUTIONS);
    const procs = ['h1:1', 'h2:1', 'h3:1', 'h4:1'].map((w) => worker(['claim', url, 'race', w]));
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.go();
    const reports = await Promise.all(procs.map((p) => p.report));
    for (const e of await Promise.all(procs.map((p) => p.exit))) assert.equal(e.code, 0, e.stderr);
    const claimed = reports.map((r) => r.claimed as number[]);
    const all = claimed.flat();
    assert.equal(all.length, 200, `claims: ${claimed.map((c) => c.length).join(' + ')}`);
    assert.equal(new Set(all).size, 200, 'no trial claimed twice');
    const by = new Map(reports.flatMap((r) => (r.claimed as number[]).map((id) => [id, r.worker as string] as const)));
    for (const t of await storage.getTrials(s.id)) {
      assert.equal(t.state, TrialState.COMPLETE);
      assert.equal(t.systemAttrs.worker, by.get(t.id));
      assert.equal(t.userAttrs.by, by.get(t.id));
      assert.equal(t.value, t.number / 1000);
    }
  });

  it('2 processes queue the same 2000 points at once, in opposite orders: each point one trial, numbers 0..1999', async () => {
    const url = server.url(await server.freshDatabase());
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    const s = await storage.openStudy('queue', {});
    // A few points queued before: both find them present.
    await storage.enqueuePoints(s.id, makePoints(10), DISTRIBUTIONS);
    const procs = ['forward', 'backward'].map((order) => worker(['enqueue', url, 'queue', order]));
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.go();
    const reports = await Promise.all(procs.map((p) => p.report));
    for (const e of await Promise.all(procs.map((p) => p.exit))) assert.equal(e.code, 0, e.stderr);
    const added = reports.map((r) => r.added as number);
    assert.equal(added[0]! + added[1]!, 1990, JSON.stringify(reports));
    for (const r of reports) assert.equal((r.added as number) + (r.present as number), 2000);
    const trials = await storage.getTrials(s.id);
    assert.equal(trials.length, 2000);
    assert.equal(new Set(trials.map((t) => t.gridPoint)).size, 2000, 'no point queued twice');
    assert.deepEqual(
      trials.map((t) => t.number),
      [...Array(2000).keys()],
    );
    assert.deepEqual(new Set(trials.map((t) => t.gridPoint)), new Set(makePoints(2000).map((p) => p.id)));
  });

  it('a host SIGKILLed mid-trial: another recovers its point after stale-after (server clock), keeping what it wrote', async () => {
    const url = server.url(await server.freshDatabase());
    const storage = await openPostgresStorage(url);
    opened.push(storage);
    const s = await storage.openStudy('kill', {});
    await storage.enqueuePoints(s.id, makePoints(2), DISTRIBUTIONS);
    const doomed = worker(['hang', url, 'kill', 'doomed:1']);
    await doomed.ready;
    doomed.go();
    const { trialId } = (await doomed.report) as { trialId: number };
    doomed.proc.kill('SIGKILL');
    assert.equal((await doomed.exit).signal, 'SIGKILL');
    const orphan = await storage.getTrial(trialId);
    assert.equal(orphan.state, TrialState.RUNNING);
    assert.equal(orphan.intermediate.get(1), 0.25, 'what it committed before SIGKILL is there');
    assert.deepEqual(await storage.failStaleTrials(s.id, 60), [], 'not stale yet by the server clock');
    // Its last heartbeat 90 s ago by the server's clock (instead of waiting 60 s).
    await server.sql(
      new URL(url).pathname.slice(1),
      "UPDATE trial_heartbeats SET heartbeat = heartbeat - interval '90 seconds' WHERE trial_id = $1",
      [trialId],
    );
    assert.deepEqual(await storage.failStaleTrials(s.id, 60), [trialId]);
    const failed = await storage.getTrial(trialId);
    assert.equal(failed.state, TrialState.FAIL);
    assert.equal(failed.userAttrs.epoch, 1);
    assert.equal(failed.systemAttrs.fail_kind, 'process');
    const rerun = (await storage.getTrials(s.id, [TrialState.WAITING])).find((t) => t.gridPoint === orphan.gridPoint);
    assert.ok(rerun);
    assert.equal((await storage.claimTrial(s.id, 'survivor:1'))?.number, 1);
    assert.equal((await storage.claimTrial(s.id, 'survivor:1'))?.id, rerun.id);
  });
});
