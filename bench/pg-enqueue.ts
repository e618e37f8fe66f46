// Queueing a grid on PostgreSQL, before and after enqueuePoints looked up only
// the chunk's own points (the partial index iae_grid_point_attrs), side by
// side. Each run: a new database on a real server (started here, stopped at
// the end), `start`'s enqueueInChunks (chunks of 500, maxRetries set as a
// study's default), then the same grid queued again (what every later
// `start` does: all present). Reported: wall time, the first and the last
// chunk (a whole-study read per chunk makes the last one the slowest), and
// CPU of this process and of the server.
//
// "before" is another tree's src/storage/postgres.ts (e.g. the commit before
// the change, unpacked with its package.json and a node_modules link):
//   git archive <commit> src package.json | tar -x -C /tmp/before && ln -s $PWD/node_modules /tmp/before/
//   node --import tsx bench/pg-enqueue.ts [--sizes 10000,50000] [--before /tmp/before]
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { enqueueInChunks } from '../src/cli/commands/start/index.js';
import { gridPointId, type GridPoint, type ParamValue } from '../src/grid/expand.js';
import { openPostgresStorage } from '../src/storage/postgres.js';
import type { Storage } from '../src/storage/storage.js';
import { startPgServer } from '../test/storage/pg-server.js';
import { serverCpuMs } from './pg-cpu.js';

const { values } = parseArgs({ options: { sizes: { type: 'string' }, before: { type: 'string' } } });
const sizes = (values.sizes ?? '10000,50000').split(',').map(Number);
type Open = (url: string) => Promise<Storage>;

/** `n` distinct points of axes of 10 values (as bench/grid-size.ts), and their distributions. */
function gridOf(n: number): { points: GridPoint[]; distributions: Record<string, ParamValue[]> } {
  const points: GridPoint[] = [];
  for (let i = 0; i < n; i++) {
    const params = {
      model: 'IAE-LSTM-KL' as const,
      normalClass: i % 10,
      seed: Math.floor(i / 10) % 10,
      lambdaKl: Math.floor(i / 100) % 10,
      lambdaRec: Math.floor(i / 1000) % 10,
      contamination: Math.floor(i / 10_000),
      minmax: 'train' as const,
    };
    points.push({ id: gridPointId(params), params });
  }
  const ten = [...Array(10).keys()];
  return {
    points,
    distributions: {
      model: ['IAE-LSTM-KL'],
      normalClass: ten,
      seed: ten,
      lambdaKl: ten,
      lambdaRec: ten,
      contamination: [...Array(Math.ceil(n / 10_000)).keys()],
      minmax: ['train'],
    },
  };
}

interface Figures {
  totalS: number;
  firstChunkMs: number;
  lastChunkMs: number;
  againS: number;
  clientCpuS: number;
  serverCpuS: number;
}

async function measure(open: Open, url: string, n: number, dataDir: string): Promise<Figures> {
  const { points, distributions } = gridOf(n);
  const storage = await open(url);
  try {
    const study = await storage.openStudy('bench', {});
    // Chunk times: enqueueInChunks calls enqueuePoints once per chunk.
    const chunkMs: number[] = [];
    const timed: Storage = Object.create(storage) as Storage;
    timed.enqueuePoints = async (...a) => {
      const t = performance.now();
      const r = await storage.enqueuePoints(...a);
      chunkMs.push(performance.now() - t);
      return r;
    };
    const cpu0 = process.cpuUsage();
    const srv0 = serverCpuMs(dataDir);
    let t0 = performance.now();
    const opts = { maxRetries: 2 };
    const q = await enqueueInChunks(timed, study.id, points, distributions, opts, new AbortController().signal);
    const totalS = (performance.now() - t0) / 1000;
    if (q.added !== n) throw new Error(`queued ${q.added} of ${n}`);
    t0 = performance.now();
    const again = await enqueueInChunks(storage, study.id, points, distributions, opts, new AbortController().signal);
    const againS = (performance.now() - t0) / 1000;
    if (again.present !== n) throw new Error(`again: ${again.present} of ${n} present`);
    const cpu = process.cpuUsage(cpu0);
    return {
      totalS,
      firstChunkMs: chunkMs[0]!,
      lastChunkMs: chunkMs.at(-1)!,
      againS,
      clientCpuS: (cpu.user + cpu.system) / 1e6,
      serverCpuS: (serverCpuMs(dataDir) - srv0) / 1000,
    };
  } finally {
    await storage.close();
  }
}

const variants: { name: string; open: Open }[] = [];
if (values.before) {
  const mod = (await import(pathToFileURL(resolve(values.before, 'src/storage/postgres.ts')).href)) as {
    openPostgresStorage: Open;
  };
  variants.push({ name: 'before', open: (url) => mod.openPostgresStorage(url) });
}
variants.push({ name: 'after', open: (url) => openPostgresStorage(url) });

const server = await startPgServer();
const dataDir = join(server.socketDir, 'data');
const rows: string[] = [];
try {
  for (const n of sizes) {
    const cells: string[] = [];
    for (const v of variants) {
      // An empty database: the variant's own open creates its schema (and indexes).
      const db = await server.createDatabase(`${v.name}${n}`);
      const f = await measure(v.open, server.url(db), n, dataDir);
      const line =
        `${f.totalS.toFixed(1)} s (chunks ${f.firstChunkMs.toFixed(0)} -> ${f.lastChunkMs.toFixed(0)} ms), ` +
        `again ${f.againS.toFixed(1)} s, CPU ${f.clientCpuS.toFixed(1)} + ${f.serverCpuS.toFixed(1)} s`;
      console.log(`${n} points, ${v.name}: ${line} (load ${loadavg()[0].toFixed(1)})`);
      cells.push(line);
    }
    rows.push(`| ${n} | ${cells.join(' | ')} |`);
  }
} finally {
  await server.stop();
}
console.log(`\n${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}`);
console.log(
  `| points | ${variants.map((v) => `${v.name}: queue (first -> last chunk), again, CPU node + server`).join(' | ')} |`,
);
console.log(`|---|${variants.map(() => '---').join('|')}|`);
for (const r of rows) console.log(r);
