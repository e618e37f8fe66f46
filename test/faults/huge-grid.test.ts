// A grid of 10^9 points (three axes of 1000 values) is counted, not expanded,
// and refused with its count: exit 2, nothing written. Before the fix the
// process expanded it for 10+ minutes in several GB; a regression shows as the
// test's timeout (no wall-clock assert).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../e2e/helpers.js';
import { studyDir, written } from './helpers.js';

const TIMEOUT = { timeout: 120_000 };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('three axes of 1000 values: refused with the count of 10^9 points and the fix; nothing written', TIMEOUT, async () => {
  const { cwd, file } = studyDir({
    name: 'huge',
    dataset: { name: 'synthetic' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0], seed: range(1000), lambdaKl: range(1000).map((i) => i / 1000), lambdaRec: range(1000) },
  });
  const run = runCli(['start', file], cwd);
  const { code } = await run.done;
  assert.equal(code, 2, run.stderr());
  assert.equal(
    run.stderr(),
    `sweep: ${file}: invalid study file\n  - grid: 1000000000 grid points, more than the limit of 100000; remove values from the longest axes ` +
      '(lambdaKl: 1000 values, lambdaRec: 1000 values, seed: 1000 values), or raise the limit with --max-points 1000000000\n',
  );
  assert.deepEqual(written(cwd), [], 'no db/, no .cache/');
});

test('--max-points sets the limit', TIMEOUT, async () => {
  const { cwd, file } = studyDir({ name: 'two', dataset: { name: 'synthetic' }, grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1] } });
  const run = runCli(['start', file, '--max-points', '1'], cwd);
  assert.equal((await run.done).code, 2, run.stderr());
  assert.match(run.stderr(), /grid: 2 grid points, more than the limit of 1; .* --max-points 2\n$/);
  assert.deepEqual(written(cwd), []);
  const bad = runCli(['start', file, '--max-points', '0'], cwd);
  assert.equal((await bad.done).code, 2);
  assert.match(bad.stderr(), /--max-points: expected a positive whole number, got "0"/);
});
