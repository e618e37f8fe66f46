// Only regular files are read as data: a FIFO, a socket or a device named as a
// data file is refused by name before it is opened (opening a FIFO to read
// blocks until a writer comes, and none ever does here: without the check
// these tests hang until the runner's timeout). Reads stop with an AbortSignal.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError } from '../../src/errors/index.js';
import { loadDataset } from '../../src/data/index.js';
import { readDataFile } from '../../src/data/fs.js';
import { CIFAR10_RECORD, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from '../../src/data/cifar10.js';
import { fashionMnistWithFifo, makeFifo, pngBytes, tempDir } from './helpers.js';

const root = tempDir();

function refused(path: string, kind: string) {
  return (err: unknown) => {
    assert.ok(err instanceof DatasetError, String(err));
    assert.ok(err.message.startsWith(`${path}: is ${kind}, not a regular file`), err.message);
    return true;
  };
}

describe('readDataFile', { timeout: 60_000 }, () => {
  it('reads a regular file whole', async () => {
    const p = join(root, 'plain.bin');
    writeFileSync(p, Buffer.from([1, 2, 3, 4, 5]));
    assert.deepEqual([...(await readDataFile(p, 'fix it'))], [1, 2, 3, 4, 5]);
  });

  it('refuses a FIFO, a socket, a character device and a directory by name', async () => {
    const fifo = makeFifo(join(root, 'pipe'));
    await assert.rejects(readDataFile(fifo, 'fix it'), refused(fifo, 'a FIFO (named pipe)'));
    const sock = join(root, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      await assert.rejects(readDataFile(sock, 'fix it'), refused(sock, 'a socket'));
    } finally {
      server.close();
    }
    await assert.rejects(readDataFile('/dev/zero', 'fix it'), refused('/dev/zero', 'a character device'));
    await assert.rejects(readDataFile(root, 'fix it'), refused(root, 'a directory'));
  });

  it('stops with the signal: an aborted read throws the abort, not a data error', async () => {
    const p = join(root, 'plain2.bin');
    writeFileSync(p, Buffer.alloc(1000));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(readDataFile(p, 'fix it', { signal: ac.signal }), { name: 'AbortError' });
  });
});

describe('every reader refuses a FIFO named as its data file', { timeout: 60_000 }, () => {
  it('Fashion-MNIST: a FIFO as the training images', async () => {
    const dir = join(root, 'fm');
    const fifo = fashionMnistWithFifo(dir);
    await assert.rejects(loadDataset({ name: 'fashion-mnist', dir }), refused(fifo, 'a FIFO (named pipe)'));
  });

  it('CIFAR-10: a FIFO as a training batch', async () => {
    const dir = join(root, 'cifar');
    mkdirSync(dir);
    for (const f of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE])
      writeFileSync(join(dir, f), Buffer.alloc(CIFAR10_RECORD));
    const fifo = join(dir, CIFAR10_TRAIN_FILES[2]!);
    rmSync(fifo);
    makeFifo(fifo);
    await assert.rejects(loadDataset({ name: 'cifar10', dir }), refused(fifo, 'a FIFO (named pipe)'));
  });

  it("WTBI: a FIFO as the study's dataset.file", async () => {
    const fifo = makeFifo(join(root, 'wtbi.csv'));
    await assert.rejects(loadDataset({ name: 'wtbi', file: fifo }), refused(fifo, 'a FIFO (named pipe)'));
  });

  it('MVTec AD: a FIFO named as a PNG is refused, not skipped', async () => {
    const dir = join(root, 'mvtec');
    for (const rel of ['bottle/train/good', 'bottle/test/good', 'bottle/test/broken'])
      mkdirSync(join(dir, rel), { recursive: true });
    const png = pngBytes(64, 64, 3, new Uint8Array(64 * 64 * 3));
    writeFileSync(join(dir, 'bottle/train/good/000.png'), png);
    writeFileSync(join(dir, 'bottle/test/good/000.png'), png);
    const fifo = makeFifo(join(dir, 'bottle/test/broken/000.png'));
    await assert.rejects(loadDataset({ name: 'mvtec', dir }), refused(fifo, 'a FIFO (named pipe)'));
  });

  it('a multi-file reader stops with the signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(loadDataset({ name: 'mvtec', dir: join(root, 'mvtec') }, { signal: ac.signal }), {
      name: 'AbortError',
    });
  });
});
