// A FIFO named as a data file: the start command refuses it by name with exit
// 2 and writes nothing. Before the fix the process opened the FIFO and blocked
// forever (no signal but SIGKILL ended it), so a regression shows here as the
// test's timeout; there is no wall-clock assert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fashionMnistWithFifo, makeFifo } from '../data/helpers.js';
import { runCli } from '../e2e/helpers.js';
import { studyDir, written } from './helpers.js';

const TIMEOUT = { timeout: 120_000 };

test("a FIFO as one of Fashion-MNIST's files is refused by name: exit 2, nothing written", TIMEOUT, async () => {
  const { cwd, file } = studyDir({
    name: 'fifo-fm',
    dataset: { name: 'fashion-mnist', dir: 'fm' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0] },
  });
  const fifo = fashionMnistWithFifo(join(cwd, 'fm'));
  const run = runCli(['start', file], cwd);
  const { code } = await run.done;
  assert.equal(code, 2, run.stderr());
  assert.equal(
    run.stderr(),
    `sweep: ${fifo}: is a FIFO (named pipe), not a regular file: data are read only from regular files (a pipe or device can block or never end); the file is damaged or not what its name says: delete it and download it again\n`,
  );
  assert.deepEqual(written(cwd, ['fm']), [], 'no db/, no .cache/');
});

test("a FIFO as WTBI's dataset.file is refused by name: exit 2, nothing written", TIMEOUT, async () => {
  const { cwd, file } = studyDir({
    name: 'fifo-wtbi',
    dataset: { name: 'wtbi', file: 'wtbi.csv' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0] },
  });
  const fifo = makeFifo(join(cwd, 'wtbi.csv'));
  const run = runCli(['start', file], cwd);
  const { code } = await run.done;
  assert.equal(code, 2, run.stderr());
  assert.match(
    run.stderr(),
    new RegExp(
      `^sweep: ${fifo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a FIFO \\(named pipe\\), not a regular file: .*set the study's dataset\\.file to the CSV`,
    ),
  );
  assert.deepEqual(written(cwd, ['wtbi.csv']), [], 'no db/, no .cache/');
});
