// Decode once, share everywhere: RSS that 8 worker threads add when each
// reads every page of Fashion-MNIST, with the data in shared memory (what
// `sweep start` does) and as plain arrays (a copy per worker), each minus the
// cost of 8 idle workers. Run with --expose-gc.
//   node --expose-gc --import tsx bench/data-sharing.ts [workers=8]
import { Worker } from 'node:worker_threads';
import { loadDataset, loadDatasetShared, type RawDataset } from '../src/data/index.js';

const n = Number(process.argv[2] ?? 8);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
const code = `
  const { parentPort, workerData } = require('node:worker_threads');
  let sum = 0;
  for (const set of workerData ? [workerData.train, workerData.test] : [])
    for (let i = 0; i < set.images.length; i += 1024) sum += set.images[i];
  parentPort.postMessage(sum);
  parentPort.on('message', () => {});
`;

async function rssAdded(data: RawDataset | null): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 200));
  const before = process.memoryUsage().rss;
  const ws = Array.from({ length: n }, () => new Worker(code, { eval: true, workerData: data }));
  await Promise.all(ws.map((w) => new Promise((r, j) => (w.once('message', r), w.once('error', j)))));
  const added = process.memoryUsage().rss - before;
  await Promise.all(ws.map((w) => w.terminate()));
  return added;
}

const spec = { name: 'fashion-mnist' } as const;
const shared = await loadDatasetShared(spec, { cacheDir: null });
const plain = await loadDataset(spec);
const bytes = [shared.train, shared.test].reduce((s, x) => s + x.images.byteLength + x.labels.byteLength, 0);
const idle = await rssAdded(null);
const withShared = (await rssAdded(shared)) - idle;
const withCopies = (await rssAdded(plain)) - idle;
console.log(`Fashion-MNIST decoded: ${mb(bytes)} MiB; ${n} idle workers add ${mb(idle)} MiB`);
console.log(`${n} workers reading shared data add ${mb(withShared)} MiB (${(withShared / bytes).toFixed(2)} copies)`);
console.log(`${n} workers reading plain arrays add ${mb(withCopies)} MiB (${(withCopies / bytes).toFixed(2)} copies)`);
