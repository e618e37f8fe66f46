// Storage under concurrent worker PROCESSES (hosts): claims plus finishes per
// second with 1, 4 and 8 processes, on PostgreSQL (a real server, started
// here and stopped at the end) and on SQLite (one file), side by side.
//
// Each configuration gets a fresh database with N WAITING trials; the
// processes open the storage, warm up (claim and finish WARMUP trials of a
// study of their own: a real worker is long-lived, its code JIT-compiled and
// its statements prepared), say "ready", and all start on one "go"; each
// loops claimTrial + finishTrial(COMPLETE) until none waits and reports the
// ids it claimed, its errors, its start/end times and its CPU. rate = N /
// (last end - first start). The parent then checks every trial was claimed
// exactly once and is COMPLETE, and adds the server's CPU over the run
// (PostgreSQL) to say what a trial costs on a machine shared with others.
//
// Run: node --import tsx bench/storage-processes.ts [--procs 1,4,8]
//      [--backends postgres,sqlite] [--trials-pg 4000] [--trials-sqlite 20000]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { openStorage } from '../src/storage/open.js';
import { TrialState } from '../src/trial/state.js';
import { gridPointId, type GridPoint, type ParamValue } from '../src/grid/expand.js';
import { tempDir } from '../test/storage/helpers.js';
import { startPgServer } from '../test/storage/pg-server.js';
import { serverCpuMs } from './pg-cpu.js';

const SELF = fileURLToPath(import.meta.url);
const STUDY = 'bench-procs';
const WARMUP = 200;
const warmStudy = (i: number) => `${STUDY}-warmup-${i}`;

/** `n` distinct grid points of one small model, and their axes. */
function gridOf(n: number): { points: GridPoint[]; distributions: Record<string, readonly ParamValue[]> } {
  const points: GridPoint[] = [];
  for (let i = 0; i < n; i++) {
    const params = {
      model: 'CAE' as const,
      normalClass: i % 10,
      seed: Math.floor(i / 10),
      contamination: 0,
      minmax: 'train' as const,
    };
    points.push({ id: gridPointId(params), params });
  }
  const seeds = [...Array(Math.ceil(n / 10)).keys()];
  return {
    points,
    distributions: {
      model: ['CAE'],
      normalClass: [...Array(10).keys()],
      seed: seeds,
      contamination: [0],
      minmax: ['train'],
    },
  };
}
/** Wall-clock epoch in ms with sub-ms precision, comparable across processes. */
const nowMs = () => performance.timeOrigin + performance.now();

interface Report {
  readonly worker: string;
  readonly claimed: number[];
  readonly errors: string[];
  readonly start: number;
  readonly end: number;
  /** CPU (user + system) this process used from "go" to the end, ms. */
  readonly cpuMs: number;
}

// ---- child: one worker process --------------------------------------------------

async function child(location: string, index: number): Promise<void> {
  const worker = `bench${index}:${process.pid}`;
  // As `sweep worker` opens it (default pool: one loop uses one connection at a time).
  const storage = await openStorage(location);
  const study = await storage.getStudy(STUDY);
  const warm = await storage.getStudy(warmStudy(index));
  if (!study || !warm) throw new Error(`no study ${STUDY} or ${warmStudy(index)} at ${storage.location}`);
  for (let t = await storage.claimTrial(warm.id, worker); t; t = await storage.claimTrial(warm.id, worker)) {
    await storage.finishTrial(t.id, TrialState.COMPLETE, 0.5);
  }
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
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  await storage.close();
  console.log(
    JSON.stringify({ worker, claimed, errors, start, end, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies Report),
  );
}

// ---- parent -----------------------------------------------------------------------

/** Runs `procs` worker processes to the end; `onGo` is called as they are told to start. */
function runProcs(location: string, procs: number, onGo: () => void): Promise<Report[]> {
  const kids = [...Array(procs).keys()].map((i) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', location, String(i)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    const exited = new Promise<void>((r) => p.on('exit', () => r()));
    return { p, ready, report, exited };
  });
  return (async () => {
    await Promise.all(kids.map((k) => k.ready));
    onGo();
    for (const k of kids) k.p.stdin.write('go\n');
    const reports = await Promise.all(kids.map((k) => k.report));
    // Their connections closed: the server's CPU for them is all counted.
    await Promise.all(kids.map((k) => k.exited));
    return reports;
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
  /** CPU per trial, ms: the worker processes, and the server (PostgreSQL). */
  clientMs: number;
  serverMs: number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : dflt;
  };
  const procsList = opt('--procs', '1,4,8').split(',').map(Number);
  const backends = opt('--backends', 'postgres,sqlite').split(',');
  const trialsOf: Record<string, number> = {
    postgres: Number(opt('--trials-pg', '4000')),
    sqlite: Number(opt('--trials-sqlite', '20000')),
  };

  const tmp = tempDir('iae-bench-procs-');
  const server = backends.includes('postgres') ? await startPgServer() : null;
  const rows: Row[] = [];
  try {
    for (const backend of backends) {
      for (const procs of procsList) {
        // A fresh database per configuration, so every one starts from the same state.
        const location =
          backend === 'postgres'
            ? server!.url(await server!.freshDatabase('bench'))
            : join(tmp.dir, `bench-${procs}.sqlite3`);
        const n = trialsOf[backend];
        const setup = await openStorage(location);
        const study = await setup.openStudy(STUDY, {});
        const grid = gridOf(n);
        await setup.enqueuePoints(study.id, grid.points, grid.distributions);
        const warm = gridOf(WARMUP);
        for (let i = 0; i < procs; i++)
          await setup.enqueuePoints((await setup.openStudy(warmStudy(i), {})).id, warm.points, warm.distributions);
        const dataDir = backend === 'postgres' ? join(server!.socketDir, 'data') : '';
        let srv0 = 0;
        let load = 0;
        const reports = await runProcs(location, procs, () => {
          load = loadavg()[0];
          if (backend === 'postgres') srv0 = serverCpuMs(dataDir);
        });
        const serverMs = backend === 'postgres' ? (serverCpuMs(dataDir) - srv0) / n : 0;
        const clientMs = reports.reduce((a, r) => a + r.cpuMs, 0) / n;
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
        for (const r of reports)
          for (const e of r.errors.slice(0, 3)) console.error(`${backend} x${procs} ${r.worker}: ${e}`);
        const row = {
          backend,
          procs,
          trials: n,
          seconds,
          rate: n / seconds,
          errors,
          check: problems.join('; ') || 'each once, all COMPLETE',
          load,
          clientMs,
          serverMs,
        };
        rows.push(row);
        console.log(
          `${backend} x${procs}: ${n} trials in ${seconds.toFixed(2)} s = ${row.rate.toFixed(0)}/s, errors ${errors}, ${row.check} ` +
            `(split ${reports.map((r) => r.claimed.length).join('+')}, load ${load.toFixed(1)}, CPU/trial ${clientMs.toFixed(2)} + ${serverMs.toFixed(2)} ms)`,
        );
      }
    }
  } finally {
    await server?.stop();
    tmp.cleanup();
  }
  // CPU-bound ceiling: what 2 idle cores would do at this CPU cost per trial.
  console.log(
    '\n| backend | processes | trials | wall s | claims+finishes/s | errors | check | load (1 min) | CPU ms/trial (workers + server) | 2 idle cores: /s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const cpu = r.clientMs + r.serverMs;
    console.log(
      `| ${r.backend} | ${r.procs} | ${r.trials} | ${r.seconds.toFixed(2)} | **${r.rate.toFixed(0)}** | ${r.errors} | ${r.check} | ${r.load.toFixed(1)} | ` +
        `${r.clientMs.toFixed(2)} + ${r.serverMs.toFixed(2)} | ${(2000 / cpu).toFixed(0)} |`,
    );
  }
  if (rows.some((r) => r.errors > 0 || r.check !== 'each once, all COMPLETE')) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  const [location, index] = process.argv.slice(3);
  child(location, Number(index)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
