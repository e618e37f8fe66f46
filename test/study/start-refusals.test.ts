// Through the real CLI: the study files of issue 14's hostile pass are each
// refused with exit 2 and a message naming the field, and nothing is written
// (no db/, no .cache/), because start checks everything before it opens
// storage or caches. Each was an internal error, a run-time failure or a
// half-created db/ before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStart } from '../../src/cli/commands/start/index.js';
import { FASHION_MNIST_FILES } from '../../src/data/fashion-mnist.js';
import { idxBytes } from '../data/helpers.js';
import { runCli } from '../e2e/helpers.js';
import { studyDir, written } from '../faults/helpers.js';

const base = {
  name: 'refused',
  dataset: { name: 'synthetic' },
  grid: { model: ['IAE-LSTM-KL'], normalClass: [0] },
  training: { pretrainEpochs: 1, jointEpochs: 1, batchSize: 32 },
  arch: { channels: [4, 8, 8], latent: 16 },
};
const HOLE = '"@@HOLE@@"';

/** [case, study text, the message's issue line] */
const cases: [string, string, RegExp][] = [
  [
    'JSON nested 100k deep',
    JSON.stringify({ ...base, description: '@@HOLE@@' }).replace(HOLE, '['.repeat(100_000) + ']'.repeat(100_000)),
    /^ {2}- description(\[0\])+: nested deeper than 32 levels; a study file needs 3/m,
  ],
  [
    'lambdaKl: 1e400',
    JSON.stringify({ ...base, grid: { ...base.grid, lambdaKl: ['@@HOLE@@'] } }).replace(HOLE, '1e400'),
    /^ {2}- grid\.lambdaKl\[0\]: number out of range \(beyond the largest double, about 1\.8e308\); write a smaller number$/m,
  ],
  [
    'a 10k-character name',
    JSON.stringify({ ...base, name: 'x'.repeat(10_000) }),
    /^ {2}- name: at most 100 characters \(it names the database file/m,
  ],
  [
    'jointEpochs: 1e9',
    JSON.stringify({ ...base, training: { ...base.training, jointEpochs: 1e9 } }),
    /^ {2}- training\.jointEpochs: at most 10000 epochs \(the paper trains a few hundred/m,
  ],
  [
    'batchSize: 1e5',
    JSON.stringify({ ...base, training: { ...base.training, batchSize: 1e5 } }),
    /^ {2}- training\.batchSize: at most 4096 \(one batch/m,
  ],
  [
    'arch.channels [4, 8] on 32x32 images',
    JSON.stringify({ ...base, arch: { channels: [4, 8], latent: 16 } }),
    /^ {2}- arch\.channels: the lenet network needs 16x16 images for 2 encoder blocks .*the data are 32x32; change arch\.channels \(to 3 values\), arch\.network or the data set \(data set synthetic\)$/m,
  ],
];

test('each hostile study file: exit 2, the field named, nothing written', { timeout: 180_000 }, async () => {
  await Promise.all(
    cases.map(async ([what, text, issue]) => {
      const { cwd, file } = studyDir(undefined, text);
      const run = runCli(['start', file], cwd);
      const { code } = await run.done;
      assert.equal(code, 2, `${what}: ${run.stderr()}`);
      assert.ok(
        run.stderr().startsWith(`sweep: ${file}: invalid study file\n`),
        `${what}: ${run.stderr().slice(0, 500)}`,
      );
      assert.match(run.stderr(), issue, what);
      assert.doesNotMatch(run.stderr(), /internal error|RangeError|found null/, what);
      assert.deepEqual(written(cwd), [], `${what}: no db/, no .cache/`);
    }),
  );
});

test(
  'a stop before the database is opened writes nothing and ends as an interrupted run',
  { timeout: 120_000 },
  async () => {
    const { cwd, file } = studyDir(base);
    const ac = new AbortController();
    ac.abort();
    const result = await runStart({
      studyFile: file,
      db: join(cwd, 'db', 'x.sqlite3'),
      cacheDir: join(cwd, '.cache'),
      signal: ac.signal,
      write: () => undefined,
    });
    assert.deepEqual(result, {
      completed: 0,
      failed: 0,
      pruned: 0,
      requeued: 0,
      recovered: 0,
      interrupted: true,
      dbPath: join(cwd, 'db', 'x.sqlite3'),
      studyName: 'refused',
    });
    // The data cache of the valid study may be written; the database is not.
    assert.deepEqual(written(cwd, ['.cache']), []);
  },
);

test(
  'the size of the data actually read is checked too, before the database: 64x64 IDX images (the MVTec network, by their size) with 3 encoder blocks',
  { timeout: 120_000 },
  async () => {
    const { cwd, file } = studyDir({ ...base, dataset: { name: 'fashion-mnist', dir: 'fm' } });
    const dir = join(cwd, 'fm');
    mkdirSync(dir);
    writeFileSync(join(dir, FASHION_MNIST_FILES.trainImages), idxBytes('u8', [2, 64, 64], new Uint8Array(2 * 64 * 64)));
    writeFileSync(join(dir, FASHION_MNIST_FILES.trainLabels), idxBytes('u8', [2], [0, 1]));
    writeFileSync(join(dir, FASHION_MNIST_FILES.testImages), idxBytes('u8', [2, 64, 64], new Uint8Array(2 * 64 * 64)));
    writeFileSync(join(dir, FASHION_MNIST_FILES.testLabels), idxBytes('u8', [2], [0, 1]));
    const run = runCli(['start', file, '--no-cache'], cwd);
    assert.equal((await run.done).code, 2, run.stderr());
    assert.match(
      run.stderr(),
      /^ {2}- arch\.channels: the mvtec network needs 32x32 images for 3 encoder blocks .*the data are 64x64; change arch\.channels \(to 4 values\)/m,
    );
    assert.deepEqual(written(cwd, ['fm']), [], 'no db/');
  },
);

test(
  'a normal class whose MVTec AD category this copy lacks: exit 2, the missing folder named, nothing written',
  { timeout: 120_000 },
  async () => {
    const study = {
      ...base,
      dataset: { name: 'mvtec', dir: 'mv' },
      grid: { ...base.grid, normalClass: [0, 9] },
      arch: { channels: [4, 8, 8, 8], latent: 16 },
    };
    const { cwd, file } = studyDir(study);
    // Only "bottle" (class 0); class 9 is "screw". No image is needed: the folders are checked before any is read.
    mkdirSync(join(cwd, 'mv', 'bottle', 'train', 'good'), { recursive: true });
    const run = runCli(['start', file], cwd);
    assert.equal((await run.done).code, 2, run.stderr());
    assert.match(
      run.stderr(),
      /grid\.normalClass asks for class 9 \(screw\), but this copy of MVTec AD has no screw\/train\/good/,
    );
    assert.ok(run.stderr().includes(join(cwd, 'mv', 'screw', 'train', 'good')), run.stderr());
    assert.deepEqual(written(cwd, ['mv']), [], 'no db/, no .cache/');
  },
);
