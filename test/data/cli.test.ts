import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetError } from '../../src/errors/index.js';
import { dataFetch, dataList, formatDataList } from '../../src/data/cli.js';
import { loadCifar10 } from '../../src/data/cifar10.js';
import { FASHION_MNIST_SYSTEM_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import type { Checksum } from '../../src/data/fetch.js';
import { mulberry32 } from '../../src/data/random.js';
import { fashionMnistWithFifo, idxBytes, makeFifo, tarBytes, tempDir } from './helpers.js';

const root = tempDir();
const rand = mulberry32(9);
const noise = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// A small Fashion-MNIST in its published form: four .gz files. Random pixels so gzip cannot shrink them much.
const trainPx = noise(60 * 784);
const raw: Record<string, Buffer> = {
  'train-images-idx3-ubyte': idxBytes('u8', [60, 28, 28], trainPx),
  'train-labels-idx1-ubyte': idxBytes(
    'u8',
    [60],
    Array.from({ length: 60 }, (_, i) => i % 10),
  ),
  't10k-images-idx3-ubyte': idxBytes('u8', [10, 28, 28], noise(10 * 784)),
  't10k-labels-idx1-ubyte': idxBytes(
    'u8',
    [10],
    Array.from({ length: 10 }, (_, i) => i),
  ),
};
const checksums: Record<string, Checksum> = Object.fromEntries(
  Object.entries(raw).map(([k, v]) => [k, { algorithm: 'sha256', hex: sha256(v), of: 'gunzip' } as Checksum]),
);

// CIFAR-10 tarball with the layout of cifar-10-binary.tar.gz.
const record = (label: number) => Buffer.concat([Buffer.from([label]), Buffer.from(noise(3072))]);
const cifarFiles = [
  ...[1, 2, 3, 4, 5].map((i) => ({
    name: `cifar-10-batches-bin/data_batch_${i}.bin`,
    data: Buffer.concat([record(i), record(0)]),
  })),
  { name: 'cifar-10-batches-bin/test_batch.bin', data: record(7) },
  {
    name: 'cifar-10-batches-bin/batches.meta.txt',
    data: Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n'),
  },
  { name: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<html></html>') },
];
const cifarTgz = gzipSync(tarBytes(cifarFiles));

/** What the test server does; tests change it. */
const server = {
  files: new Map<string, Buffer>(),
  /** path -> number of requests to cut short after half the body. */
  drops: new Map<string, number>(),
  ignoreRange: false,
  /** Paths whose requests get the connection closed before any response. */
  hangUp: new Set<string>(),
  log: [] as { path: string; range?: string; status: number }[],
};
let base = '';
const httpServer = http.createServer((req, res) => {
  const path = req.url!;
  if (server.hangUp.has(path)) {
    server.log.push({ path, status: 0 });
    req.socket.destroy();
    return;
  }
  const body = server.files.get(path);
  const range = req.headers.range;
  if (!body) {
    server.log.push({ path, range, status: 404 });
    res.writeHead(404).end('not found');
    return;
  }
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(range ?? '');
  if (m && !server.ignoreRange) start = Number(m[1]);
  if (start >= body.length && m) {
    server.log.push({ path, range, status: 416 });
    res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
    return;
  }
  const status = start > 0 ? 206 : 200;
  server.log.push({ path, range, status });
  res.writeHead(status, {
    'Content-Length': body.length - start,
    ...(status === 206 ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  });
  const left = server.drops.get(path) ?? 0;
  if (left > 0) {
    server.drops.set(path, left - 1);
    // Send about half, then drop the connection without finishing the response.
    res.write(body.subarray(start, start + Math.max(1, (body.length - start) >> 1)), () => res.socket?.destroy());
    return;
  }
  res.end(body.subarray(start));
});

before(async () => {
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => httpServer.close(() => r())));

function reset() {
  server.files = new Map(Object.entries(raw).map(([k, v]) => [`/fm/${k}.gz`, gzipSync(v)]));
  server.files.set('/cifar/cifar-10-binary.tar.gz', cifarTgz);
  server.drops.clear();
  server.ignoreRange = false;
  server.hangUp.clear();
  server.log = [];
}
const fast = { retryDelayMs: 5, checksums };

function isDatasetError(...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof DatasetError, String(err));
    for (const f of fragments) assert.ok(err.message.includes(f), `"${f}" not in: ${err.message}`);
    return true;
  };
}

describe('sweep data fetch', () => {
  it('downloads Fashion-MNIST, verifies it, reports progress; a second run downloads nothing', async () => {
    reset();
    const dest = join(root, 'fm1');
    const progress: { file: string; received: number; total?: number }[] = [];
    const r = await dataFetch('fashion-mnist', {
      dest,
      url: `${base}/fm/`,
      ...fast,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(r.downloaded.length, 4);
    const ds = await loadFashionMnist(dest);
    assert.deepEqual(Buffer.from(ds.train.images), Buffer.from(trainPx));
    for (const f of Object.keys(raw)) {
      const events = progress.filter((p) => p.file === `${f}.gz`);
      const size = server.files.get(`/fm/${f}.gz`)!.length;
      assert.equal(events.at(-1)!.received, size);
      assert.equal(events.at(-1)!.total, size);
      for (let i = 1; i < events.length; i++) assert.ok(events[i].received >= events[i - 1].received);
    }
    server.log = [];
    const again = await dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast });
    assert.deepEqual([again.downloaded.length, again.kept.length, server.log.length], [0, 4, 0]);
  });

  it('resumes with a Range request after the server drops the connection', async () => {
    reset();
    const path = '/fm/train-images-idx3-ubyte.gz';
    const size = server.files.get(path)!.length;
    server.drops.set(path, 2); // two cuts in a row
    const dest = join(root, 'fm2');
    await dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast });
    const reqs = server.log.filter((l) => l.path === path);
    assert.equal(reqs.length, 3);
    assert.equal(reqs[0].range, undefined);
    assert.deepEqual(
      reqs.slice(1).map((r) => r.status),
      [206, 206],
    );
    const firstCut = Math.max(1, size >> 1);
    assert.equal(reqs[1].range, `bytes=${firstCut}-`);
    assert.deepEqual(readFileSync(join(dest, 'train-images-idx3-ubyte.gz')), server.files.get(path));
    assert.deepEqual(
      readdirSync(dest).filter((f) => f.endsWith('.part')),
      [],
    );
  });

  it('resumes a .part left by an earlier run, and starts over when the server ignores Range', async () => {
    reset();
    const path = '/fm/t10k-images-idx3-ubyte.gz';
    const body = server.files.get(path)!;
    const dest = join(root, 'fm3');
    mkdirSync(dest);
    writeFileSync(join(dest, 't10k-images-idx3-ubyte.gz.part'), body.subarray(0, 1000));
    await dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast });
    assert.deepEqual(
      server.log.find((l) => l.path === path),
      { path, range: 'bytes=1000-', status: 206 },
    );
    assert.deepEqual(readFileSync(join(dest, 't10k-images-idx3-ubyte.gz')), body);

    reset();
    server.ignoreRange = true;
    const dest2 = join(root, 'fm3b');
    mkdirSync(dest2);
    writeFileSync(join(dest2, 't10k-images-idx3-ubyte.gz.part'), Buffer.from('stale bytes from another file'));
    await dataFetch('fashion-mnist', { dest: dest2, url: `${base}/fm/`, ...fast });
    assert.equal(server.log.find((l) => l.path === path)!.status, 200);
    assert.deepEqual(readFileSync(join(dest2, 't10k-images-idx3-ubyte.gz')), body);
  });

  it('rejects a corrupted file by its checksum and leaves nothing behind', async () => {
    reset();
    const path = '/fm/train-labels-idx1-ubyte.gz';
    const bad = gzipSync(
      Buffer.concat([
        raw['train-labels-idx1-ubyte'].subarray(0, 20),
        Buffer.from([99]),
        raw['train-labels-idx1-ubyte'].subarray(21),
      ]),
    );
    server.files.set(path, bad);
    const dest = join(root, 'fm4');
    await assert.rejects(
      dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast }),
      isDatasetError(
        `${base}${path}`,
        'checksum mismatch',
        checksums['train-labels-idx1-ubyte'].hex,
        'run the fetch again',
      ),
    );
    assert.ok(!existsSync(join(dest, 'train-labels-idx1-ubyte.gz')));
    assert.ok(!existsSync(join(dest, 'train-labels-idx1-ubyte.gz.part')));
    // Not gzip at all: also rejected, also deleted.
    server.files.set(path, Buffer.from('<html>mirror error page</html>'));
    await assert.rejects(
      dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast }),
      isDatasetError(path, 'not valid gzip'),
    );
    assert.ok(!existsSync(join(dest, 'train-labels-idx1-ubyte.gz.part')));
  });

  it('gives up after the retries, keeping the .part to resume; 404 names the URL', async () => {
    reset();
    const path = '/fm/train-images-idx3-ubyte.gz';
    server.drops.set(path, 100);
    const dest = join(root, 'fm5');
    await assert.rejects(
      dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast, retries: 2 }),
      isDatasetError(`${base}${path}`, 'failed after 3 attempts', 'resume'),
    );
    assert.ok(existsSync(join(dest, 'train-images-idx3-ubyte.gz.part')));
    await assert.rejects(
      dataFetch('fashion-mnist', { dest, url: `${base}/nowhere/`, ...fast }),
      isDatasetError(`${base}/nowhere/`, 'HTTP 404'),
    );
    await assert.rejects(dataFetch('mvtec'), isDatasetError('only fashion-mnist and cifar10', 'mvtec.com'));
  });

  it('downloads the CIFAR-10 tarball, checks its md5, unpacks the batches the reader needs', async () => {
    reset();
    const dest = join(root, 'cifar');
    const md5 = createHash('md5').update(cifarTgz).digest('hex');
    const r = await dataFetch('cifar10', {
      dest,
      url: `${base}/cifar/cifar-10-binary.tar.gz`,
      retryDelayMs: 5,
      checksums: { 'cifar-10-binary.tar.gz': { algorithm: 'md5', hex: md5, of: 'file' } },
    });
    assert.equal(r.dir, join(dest, 'cifar-10-batches-bin'));
    assert.ok(!existsSync(join(dest, 'cifar-10-binary.tar.gz')), 'tarball removed after unpacking');
    const ds = await loadCifar10(dest);
    assert.deepEqual([ds.train.n, ds.test.n], [10, 1]);
    assert.deepEqual(Array.from(ds.train.labels), [1, 0, 2, 0, 3, 0, 4, 0, 5, 0]);
    // channel-major R plane of the test record becomes every third byte
    const rec = cifarFiles[5].data;
    assert.deepEqual([ds.test.images[0], ds.test.images[1], ds.test.images[3]], [rec[1], rec[1 + 1024], rec[2]]);
    // wrong md5: rejected
    await assert.rejects(
      dataFetch('cifar10', {
        dest: join(root, 'cifar2'),
        url: `${base}/cifar/cifar-10-binary.tar.gz`,
        retryDelayMs: 5,
      }),
      isDatasetError('checksum mismatch', 'c32a1d4ab5d03f1284b67883e8d87530'),
    );
  });
});

describe('sweep data fetch: what it does not do', () => {
  const real = existsSync(join(FASHION_MNIST_SYSTEM_DIR, 'train-images-idx3-ubyte.gz'));
  const withEnv = async <T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(env))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  };

  it('does not download a Fashion-MNIST that data list already finds (and verifies)', async () => {
    reset();
    const have = join(root, 'found-fm');
    await dataFetch('fashion-mnist', { dest: have, url: `${base}/fm/`, ...fast });
    server.log = [];
    const r = await withEnv({ FASHION_MNIST_DIR: have }, () =>
      dataFetch('fashion-mnist', { url: `${base}/fm/`, ...fast }),
    );
    assert.equal(r.alreadyThere, true);
    assert.equal(r.dir, have);
    assert.deepEqual(r.downloaded, []);
    assert.equal(r.kept.length, 4);
    assert.deepEqual(server.log, [], 'no request');
    // A copy that does not verify is not taken for the data set.
    writeFileSync(join(have, 't10k-labels-idx1-ubyte.gz'), gzipSync(Buffer.from('not the labels')));
    const dest = join(root, 'cwd-fm');
    mkdirSync(dest);
    const again = await withEnv({ FASHION_MNIST_DIR: have }, () =>
      inDir(dest, () => dataFetch('fashion-mnist', { url: `${base}/fm/`, ...fast })),
    );
    assert.equal(again.alreadyThere, undefined);
    assert.equal(again.dir, join(dest, 'data', 'fashion-mnist'));
    assert.equal(again.downloaded.length, 4);
  });

  it(
    "does not download Debian's Fashion-MNIST again",
    { skip: !real && 'dataset-fashion-mnist is not installed' },
    async () => {
      reset();
      const cwd = join(root, 'empty-cwd');
      mkdirSync(cwd);
      // Only the system folder is on the search path; the real checksums apply.
      const r = await withEnv({ FASHION_MNIST_DIR: undefined }, () =>
        inDir(cwd, () => dataFetch('fashion-mnist', { url: `${base}/fm/`, retryDelayMs: 5 })),
      );
      assert.equal(r.alreadyThere, true);
      assert.equal(r.dir, FASHION_MNIST_SYSTEM_DIR);
      assert.deepEqual(server.log, []);
      assert.deepEqual(readdirSync(cwd), [], 'no data/ folder made');
    },
  );

  it(
    'a host name that does not resolve is final: one try, no retries, no folder left behind',
    { timeout: 60_000 },
    async () => {
      const dest = join(root, 'dns', 'deep', 'fm');
      // With a ten-minute retry delay, a retry would run the test into its timeout.
      await assert.rejects(
        dataFetch('fashion-mnist', { dest, url: 'http://no-such-host.invalid/fm/', ...fast, retryDelayMs: 600_000 }),
        (err: unknown) => {
          isDatasetError('cannot resolve the host "no-such-host.invalid"', '--url')(err);
          assert.doesNotMatch((err as Error).message, /attempts|\.part/);
          return true;
        },
      );
      assert.ok(!existsSync(join(root, 'dns')), 'the folders the fetch made are gone');
    },
  );

  it('promises no .part it did not write; a 404 leaves no empty folder', async () => {
    reset();
    server.hangUp.add('/fm/train-images-idx3-ubyte.gz');
    const dest = join(root, 'hangup', 'fm');
    await assert.rejects(
      dataFetch('fashion-mnist', { dest, url: `${base}/fm/`, ...fast, retries: 1 }),
      (err: unknown) => {
        isDatasetError('failed after 2 attempts', 'run the fetch again')(err);
        assert.doesNotMatch((err as Error).message, /\.part/);
        return true;
      },
    );
    assert.equal(server.log.filter((l) => l.status === 0).length, 2);
    assert.ok(!existsSync(join(root, 'hangup')));
    const gone = join(root, 'gone404');
    await assert.rejects(
      dataFetch('fashion-mnist', { dest: gone, url: `${base}/nowhere/`, ...fast }),
      isDatasetError('HTTP 404'),
    );
    assert.ok(!existsSync(gone));
  });
});

/** Runs `fn` with `dir` as the working folder (the readers' relative data/ paths). */
async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
  }
}

describe('sweep data list', () => {
  it('reports where each data set is, sizes and checksums, or what is missing and how to get it', async () => {
    reset();
    const fm = join(root, 'list-fm');
    await dataFetch('fashion-mnist', { dest: fm, url: `${base}/fm/`, ...fast });
    const list = await dataList({
      dirs: {
        'fashion-mnist': fm,
        cifar10: join(root, 'cifar'),
        mvtec: join(root, 'no-mvtec'),
        wtbi: join(root, 'no.csv'),
      },
    });
    assert.deepEqual(
      list.map((d) => d.name),
      ['fashion-mnist', 'cifar10', 'mvtec', 'wtbi', 'synthetic'],
    );
    const [f, c, m, w, s] = list;
    assert.equal(f.found, true);
    assert.equal(f.files.length, 4);
    for (const file of f.files) {
      assert.equal(file.sha256, sha256(readFileSync(file.path)));
      assert.equal(file.verified, false, 'generated files are not the published ones');
    }
    assert.equal(
      f.bytes,
      f.files.reduce((a, x) => a + x.bytes, 0),
    );
    assert.equal(c.found, true);
    assert.equal(c.files.length, 7);
    assert.equal(c.problem, undefined);
    assert.equal(m.found, false);
    assert.match(m.problem!, /not found/);
    assert.match(m.howToGet, /mvtec\.com/);
    assert.equal(w.found, false);
    assert.equal(s.found, true);
    const text = formatDataList(list);
    assert.match(text, /fashion-mnist: .*list-fm/);
    assert.match(text, /CHECKSUM MISMATCH/);
    assert.match(text, /mvtec: missing\n.*not found.*\n {2}get it: download MVTec AD by hand/);
  });

  it(
    'lists a FIFO among the files as a problem by name instead of hashing it (which would block)',
    { timeout: 60_000 },
    async () => {
      const fm = join(root, 'list-fifo');
      const fifo = fashionMnistWithFifo(fm);
      const wtbi = makeFifo(join(root, 'list-wtbi.csv'));
      const [f, , , w] = await dataList({
        dirs: { 'fashion-mnist': fm, cifar10: join(root, 'no-cifar'), mvtec: join(root, 'no-mvtec'), wtbi },
      });
      assert.equal(f.found, false);
      assert.ok(f.problem!.startsWith(`${fifo}: is a FIFO (named pipe), not a regular file`), f.problem);
      assert.equal(w.found, false);
      assert.ok(w.problem!.startsWith(`${wtbi}: is a FIFO (named pipe), not a regular file`), w.problem);
    },
  );

  const real = existsSync(join(FASHION_MNIST_SYSTEM_DIR, 'train-images-idx3-ubyte.gz'));
  it(
    'verifies the installed Fashion-MNIST against the known content checksums',
    { skip: !real && 'not installed' },
    async () => {
      const [f] = await dataList({ dirs: { 'fashion-mnist': FASHION_MNIST_SYSTEM_DIR } });
      assert.deepEqual(
        f.files.map((x) => x.verified),
        [true, true, true, true],
      );
      assert.match(formatDataList([f]), /ok \(known checksum\)/);
    },
  );
});
