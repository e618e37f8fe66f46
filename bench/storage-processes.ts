// Storage under concurrent worker PROCESSES (hosts): claims plus finishes per
// second with 1, 4 and 8 processes, on PostgreSQL (a real server, started
// here and stopped at the end) and on SQLite (one file), side by side.
//
// Each configuration gets a fresh database with N WAITING trials; the
// processes open the storage, say "ready", and all start on one "go"; each
// loops claimTrial + finishTrial(COMPLETE) until none waits and reports the
// ids it claimed, its errors and its start/end times. rate = N / (last end -
// first start). The parent then checks every trial was claimed exactly once
// and is COMPLETE.
//
// Run: node --import tsx bench/storage-processes.ts [trials-per-config]
//      [--procs 1,4,8] [--backends postgres,sqlite]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { openStorage } from '../src/storage/open.js';
import { TrialState } from '../src/trial/state.js';
import { DISTRIBUTIONS, makePoints, tempDir } from '../test/storage/helpers.js';
import { startPgServer } from '../test/storage/pg-server.js';

const SELF = fileURLToPath(import.meta.url);
const STUDY = 'bench-procs';
/** Wall-clock epoch in ms with sub-ms precision, comparable across processes. */
const nowMs = () => performance.timeOrigin + performance.now();

interface Report {
  readonly worker: string;
  readonly claimed: number[];
  readonly errors: string[];
  readonly start: number;
  readonly end: number;
}

// ---- child: one worker process --------------------------------------------------

async function child(location: string, worker: string): Promise<void> {
  // As `sweep worker` opens it (default pool: one loop uses one connection at a time).
  const storage = await openStorage(location);
  const study = await storage.getStudy(STUDY);
  if (!study) throw new Error(`no study ${STUDY} at ${storage.location}`);
  console.log('ready');
  await new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() !== 'go') return;
      rl.close();
      process.stdin.destroy();
      resolve();
    });
  });
  const claimed: number[] = [];
  const errors: string[] = [];
  const start = nowMs();
  for (;;) {
    try {
      const t = await storage.claimTrial(study.id, worker);
      if (!t) break;
      claimed.push(t.id);
      await storage.finishTrial(t.id, TrialState.COMPLETE, 0.5);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
      if (errors.length >= 20) break;
    }
  }
  const end = nowMs();
  await storage.close();
  console.log(JSON.stringify({ worker, claimed, errors, start, end } satisfies Report));
}

// ---- parent -----------------------------------------------------------------------

function runProcs(location: string, procs: number): Promise<Report[]> {
  const kids = [...Array(procs).keys()].map((i) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', location, `bench${i}:${i}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let onReady!: () => void;
    const ready = new Promise<void>((r) => (onReady = r));
    const report = new Promise<Report>((resolve, reject) => {
      p.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
          const line = out.slice(0, nl).trim();
          out = out.slice(nl + 1);
          if (line === 'ready') onReady();
          else if (line.startsWith('{')) resolve(JSON.parse(line) as Report);
        }
      });
      p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      p.on('exit', (code) => {
        onReady();
        reject(new Error(`worker ${i} exited (${code}) without a report:\n${err}`));
      });
    });
    report.catch(() => {});
    return { p, ready, report };
  });
  return (async () => {
    await Promise.all(kids.map((k) => k.ready));
    for (const k of kids) k.p.stdin.write('go\n');
    return Promise.all(kids.map((k) => k.report));
  })();
}

interface Row {
  backend: string;
  procs: number;
  trials: number;
  seconds: number;
  rate: number;
  errors: number;
  check: string;
  load: number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : dflt;
  };
  const procsList = opt('--procs', '1,4,8').split(',').map(Number);
  const backends = opt('--backends', 'postgres,sqlite').split(',');
  const n = Number(args[0] ?? 3000);
  if (n > 3000) throw new Error('at most 3000 trials per configuration (makePoints)');

  const tmp = tempDir('iae-bench-procs-');
  const server = backends.includes('postgres') ? await startPgServer() : null;
  const rows: Row[] = [];
  try {
    for (const backend of backends) {
      for (const procs of procsList) {
        // A fresh database per configuration, so every one starts from the same state.
        const location =
          backend === 'postgres' ? server!.url(await server!.freshDatabase('bench')) : join(tmp.dir, `bench-${procs}.sqlite3`);
        const setup = await openStorage(location);
        const study = await setup.openStudy(STUDY, {});
        await setup.enqueuePoints(study.id, makePoints(n), DISTRIBUTIONS);
        const load = loadavg()[0];
        const reports = await runProcs(location, procs);
        const seconds = (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1000;
        const all = reports.flatMap((r) => r.claimed);
        const trials = await setup.getTrials(study.id);
        const complete = trials.filter((t) => t.state === TrialState.COMPLETE).length;
        const problems: string[] = [];
        if (all.length !== n) problems.push(`${all.length} claims of ${n}`);
        if (new Set(all).size !== all.length) problems.push(`${all.length - new Set(all).size} claimed twice`);
        if (complete !== n) problems.push(`${complete} COMPLETE of ${n}`);
        await setup.close();
        const errors = reports.reduce((a, r) => a + r.errors.length, 0);
        for (const r of reports) for (const e of r.errors.slice(0, 3)) console.error(`${backend} x${procs} ${r.worker}: ${e}`);
        const row = { backend, procs, trials: n, seconds, rate: n / seconds, errors, check: problems.join('; ') || 'each once, all COMPLETE', load };
        rows.push(row);
        console.log(
          `${backend} x${procs}: ${n} trials in ${seconds.toFixed(2)} s = ${row.rate.toFixed(0)}/s, errors ${errors}, ${row.check} ` +
            `(split ${reports.map((r) => r.claimed.length).join('+')}, load ${load.toFixed(1)})`,
        );
      }
    }
  } finally {
    await server?.stop();
    tmp.cleanup();
  }
  console.log('\n| backend | processes | trials | wall s | claims+finishes/s | errors | check | load (1 min) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.backend} | ${r.procs} | ${r.trials} | ${r.seconds.toFixed(2)} | **${r.rate.toFixed(0)}** | ${r.errors} | ${r.check} | ${r.load.toFixed(1)} |`);
  }
  if (rows.some((r) => r.errors > 0 || r.check !== 'each once, all COMPLETE')) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  const [location, worker] = process.argv.slice(3);
  child(location, worker).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
