import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mean, median, round3, sampleStd } from '../../src/report/stats.js';

it('mean, sample std, median, round3', () => {
  assert.equal(mean([]), null);
  assert.equal(mean([1, 2, 6]), 3);
  assert.equal(sampleStd([0.5]), null);
  assert.equal(sampleStd([1, 3]), Math.SQRT2);
  assert.equal(median([]), null);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(round3(0.8125), 0.813);
  assert.equal(round3(0.81249), 0.812);
});
