// sweep status: the best per model, boundary, normal class (and contamination
// when swept), never one best across classes; trials of other grids left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusOf, statusLines } from '../../src/cli/commands/status/index.js';
import { studyOf, trialsFor } from '../report/fixtures.js';

test('best per model, boundary, class and contamination, from the objective value', () => {
  const { study, summary } = studyOf({
    name: 'st',
    dataset: { name: 'fashion-mnist' },
    grid: {
      model: ['IAE-LSTM-KL'],
      normalClass: [0, 1],
      boundary: ['hard', 'soft'],
      lambdaKl: [0.001, 0.1],
      nu: [0.1],
      contamination: [0, 0.1],
    },
  });
  // AUROC: class 1 is easy (0.9x), class 0 hard (0.6x); lambdaKl 0.1 better by 0.01; soft by 0.002; contamination costs 0.05.
  const v = (p: { normalClass: number; lambdaKl?: number; boundary?: string; contamination: number }) =>
    (p.normalClass === 1 ? 0.9 : 0.6) +
    (p.lambdaKl === 0.1 ? 0.01 : 0) +
    (p.boundary === 'soft' ? 0.002 : 0) -
    (p.contamination > 0 ? 0.05 : 0);
  const trials = trialsFor(study, (p) => ({ auroc: { svdd: v(p) } }));
  const r = statusOf('st', 'x.sqlite3', summary.systemAttrs, trials);
  assert.equal(r.best.length, 2 * 2 * 2, 'one per boundary, class and contamination');
  const get = (label: string, c: number, ct: number) =>
    r.best.find((b) => b.label === label && b.normalClass === c && b.contamination === ct)!;
  assert.ok(Math.abs(get('IAE-LSTM-KL(h)', 0, 0).value - 0.61) < 1e-12);
  assert.ok(Math.abs(get('IAE-LSTM-KL(s)', 0, 0.1).value - 0.562) < 1e-12);
  assert.ok(Math.abs(get('IAE-LSTM-KL(h)', 1, 0).value - 0.91) < 1e-12);
  assert.equal(get('IAE-LSTM-KL(h)', 0, 0).params.lambdaKl, 0.1);
  assert.deepEqual(r.points, { expected: trials.length, complete: trials.length });
  const lines = statusLines(r).join('\n');
  assert.match(lines, /^ {2}IAE-LSTM-KL\(h\) {2}class 0 \(t-shirt\): 0\.6100 {2}trial \d+ /m);
  assert.match(lines, /^ {2}IAE-LSTM-KL\(s\) {2}class 1 \(trouser\): 0\.9120 /m);
  assert.doesNotMatch(lines, /^best: /m);
});
