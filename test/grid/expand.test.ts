import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Grid, ModelName } from '../../src/study/schema.js';
import {
  expandGrid,
  expandGridAsync,
  gridPointId,
  countGridPoints,
  gridPoints,
  searchSpace,
} from '../../src/grid/expand.js';
import { canonicalJson } from '../../src/json.js';
import { gridSizeProblem, DEFAULT_MAX_POINTS } from '../../src/grid/limit.js';

const grid = (g: Record<string, unknown>) => Grid.parse(g);

test('cartesian product over the axes that apply, nu only for soft boundaries', () => {
  const points = expandGrid(
    grid({
      model: ['IAE-LSTM-KL'],
      normalClass: [0, 1],
      boundary: ['hard', 'soft'],
      lambdaKl: [0.1, 1, 10],
      lambdaRec: [1, 2],
      nu: [0.05, 0.1],
    }),
  );
  // per class: hard 3*2 = 6, soft 3*2*2 = 12
  assert.equal(points.length, 2 * (6 + 12));
  for (const p of points) {
    if (p.params.boundary === 'hard') assert.equal(p.params.nu, undefined);
    else assert.ok(p.params.nu === 0.05 || p.params.nu === 0.1);
  }
  assert.equal(new Set(points.map((p) => p.id)).size, points.length, 'ids are unique');
});

test('axes a model lacks are not multiplied in', () => {
  const points = expandGrid(
    grid({
      model: ['CAE', 'DeepSVDD', 'IAE-LSTM'],
      normalClass: [3],
      boundary: ['hard', 'soft'],
      lambdaKl: [1, 2],
      lambdaRec: [1, 2],
      nu: [0.1],
    }),
  );
  const byModel = (m: string) => points.filter((p) => p.params.model === m);
  // CAE: no SVDD, no KL, lambdaRec has no effect: one point, no boundary.
  assert.equal(byModel('CAE').length, 1);
  assert.equal(byModel('CAE')[0]!.params.boundary, undefined);
  // Deep SVDD: boundary (and nu for soft) only.
  assert.equal(byModel('DeepSVDD').length, 2);
  assert.ok(byModel('DeepSVDD').every((p) => p.params.lambdaKl === undefined && p.params.lambdaRec === undefined));
  // IAE-LSTM: decoder (lambdaRec) but no KL.
  assert.equal(byModel('IAE-LSTM').length, 2 * 2);
  assert.ok(byModel('IAE-LSTM').every((p) => p.params.lambdaKl === undefined && p.params['lstm.mode'] === 'cell'));
});

test('identity does not depend on key order or value order in the file', () => {
  const a = expandGrid(grid({ model: ['IAE-LSTM-KL'], normalClass: [0, 1], lambdaKl: [1, 0.1] }));
  const b = expandGrid(grid({ lambdaKl: [0.1, 1], normalClass: [1, 0], model: ['IAE-LSTM-KL'] }));
  assert.deepEqual(new Set(a.map((p) => p.id)), new Set(b.map((p) => p.id)));
  const reordered = Object.fromEntries(Object.entries(a[0]!.params).reverse());
  assert.equal(gridPointId(reordered as never), a[0]!.id);
  assert.equal(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] }), '{"a":[2,{"c":2,"d":1}],"b":1}');
});

test('adding a value to an axis adds only the new points', () => {
  const before = expandGrid(grid({ model: ['IAE-LSTM-KL'], normalClass: [0], lambdaKl: [0.1, 1] }));
  const after = expandGrid(grid({ model: ['IAE-LSTM-KL'], normalClass: [0], lambdaKl: [0.1, 1, 10] }));
  const old = new Set(before.map((p) => p.id));
  const added = after.filter((p) => !old.has(p.id));
  assert.equal(added.length, 1);
  assert.equal(added[0]!.params.lambdaKl, 10);
  assert.ok(before.every((p) => after.some((q) => q.id === p.id)));
});

test('duplicate values collapse; points sharing pretraining stand together', () => {
  const points = expandGrid(
    grid({ model: ['IAE-LSTM-KL'], normalClass: [0, 0, 1], lambdaKl: [1, 1, 2], seed: [0, 1] }),
  );
  assert.equal(points.length, 2 * 2 * 2);
  // Order: class, then seed, ... so each (class, seed) block is contiguous.
  const keys = points.map((p) => `${p.params.normalClass}/${p.params.seed}`);
  const blocks = keys.filter((k, i) => i === 0 || keys[i - 1] !== k);
  assert.equal(blocks.length, new Set(keys).size);
});

test('the search space lists every axis once, in file order', () => {
  const s = searchSpace(grid({ model: ['IAE-LSTM-KL', 'CAE'], normalClass: [2, 1, 2] }));
  assert.deepEqual(s.model, ['IAE-LSTM-KL', 'CAE']);
  assert.deepEqual(s.normalClass, [2, 1]);
  assert.deepEqual(s.boundary, ['hard']);
});

test('interleaving puts one point of each pretraining first, and loses none', async () => {
  const { interleaveByShareKey, pretrainShareKey } = await import('../../src/grid/expand.js');
  const points = expandGrid(
    grid({ model: ['IAE-LSTM-KL'], normalClass: [0, 1, 2], boundary: ['hard', 'soft'], lambdaKl: [1, 2] }),
  );
  const mixed = interleaveByShareKey(points);
  assert.equal(mixed.length, points.length);
  assert.deepEqual(new Set(mixed.map((p) => p.id)), new Set(points.map((p) => p.id)));
  assert.deepEqual(
    mixed.slice(0, 3).map((p) => p.params.normalClass),
    [0, 1, 2],
  );
  // hard and soft, all lambdas of a class share one pretraining
  assert.equal(new Set(points.map((p) => pretrainShareKey(p.params))).size, 3);
});

test('countGridPoints is the length of expandGrid, for any grid (conditional axes included)', () => {
  const axis = <T>(values: readonly T[]) => fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 4 });
  const grids = fc.record({
    model: axis(ModelName.options),
    normalClass: axis([0, 1, 2]),
    boundary: axis(['hard', 'soft'] as const),
    lambdaKl: axis([0, 0.001, 1]),
    lambdaRec: axis([1, 2]),
    nu: axis([0.05, 0.1]),
    seed: axis([0, 1]),
    contamination: axis([0, 0.1]),
    'lstm.mode': axis(['cell', 'sequence'] as const),
    'kl.form': axis(['authors', 'gaussian'] as const),
    minmax: axis(['train', 'none'] as const),
  });
  fc.assert(
    fc.property(grids, (g) => {
      const parsed = grid(g);
      assert.equal(countGridPoints(parsed), expandGrid(parsed).length);
      assert.equal([...gridPoints(parsed)].length, expandGrid(parsed).length);
    }),
    { seed: 14, numRuns: 300 },
  );
});

test('a grid of 10^9 points is counted without being made, and refused over the limit with its count, its longest axes and the fix', () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const huge = grid({
    model: ['IAE-LSTM-KL'],
    normalClass: [0],
    seed: range(1000),
    lambdaKl: range(1000),
    lambdaRec: range(1000),
  });
  const before = process.memoryUsage().heapUsed;
  assert.equal(countGridPoints(huge), 1e9);
  assert.ok(process.memoryUsage().heapUsed - before < 50e6, 'counting allocates no points');
  assert.equal(
    gridSizeProblem(huge, DEFAULT_MAX_POINTS),
    '1000000000 grid points, more than the limit of 100000; remove values from the longest axes ' +
      '(lambdaKl: 1000 values, lambdaRec: 1000 values, seed: 1000 values), or raise the limit with --max-points 1000000000',
  );
  const small = grid({ model: ['IAE-LSTM-KL'], normalClass: [0, 1] });
  assert.equal(gridSizeProblem(small, 2), undefined, 'at the limit: runs');
  assert.match(gridSizeProblem(small, 1)!, /^2 grid points, more than the limit of 1; .*normalClass: 2 values/);
});

test('expandGridAsync gives the same points as expandGrid, and stops with the signal', async () => {
  const g = grid({
    model: ['IAE-LSTM-KL'],
    normalClass: [0],
    seed: Array.from({ length: 120 }, (_, i) => i),
    lambdaKl: Array.from({ length: 100 }, (_, i) => i),
  });
  assert.deepEqual(await expandGridAsync(g), expandGrid(g));
  const ac = new AbortController();
  ac.abort();
  // Aborted before the first yield: it stops at the first chunk boundary instead of making all 12000 points.
  await assert.rejects(expandGridAsync(g, ac.signal), { name: 'AbortError' });
});
