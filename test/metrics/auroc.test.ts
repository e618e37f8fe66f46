import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc } from '../../src/metrics/index.js';

// Reference: the fraction of (positive, negative) pairs ordered correctly, ties half.
function pairwise(s: number[], y: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < s.length; i++)
    for (let j = 0; j < s.length; j++)
      if (y[i] === 1 && y[j] === 0) {
        den++;
        num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
  return num / den;
}

test('perfect separation is 1, inverted is 0', () => {
  assert.equal(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
});

test('all scores tied is 0.5', () => {
  assert.equal(auroc([3, 3, 3, 3, 3], [0, 1, 0, 1, 1]), 0.5);
});

test('hand-computed case without ties', () => {
  // Positives 0.35, 0.8; negatives 0.1, 0.4, 0.7. Pairs right: 0.35>0.1; 0.8>all three = 4 of 6.
  assert.equal(auroc([0.1, 0.35, 0.4, 0.7, 0.8], [0, 1, 0, 0, 1]), 4 / 6);
});

test('hand-computed case with ties', () => {
  // Positives 0.5, 0.5, 0.9; negatives 0.5, 0.2.
  // 0.5 vs 0.5 tie (1/2), 0.5 > 0.2 (1) -> 1.5 each for the two 0.5s; 0.9 beats both -> 2. Total 5 of 6.
  assert.equal(auroc([0.5, 0.5, 0.9, 0.5, 0.2], [1, 1, 1, 0, 0]), 5 / 6);
});

test('matches the pairwise definition on random data with many ties', () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + Math.floor(rand() * 40);
    const s = Array.from({ length: n }, () => Math.floor(rand() * 5));
    const y = Array.from({ length: n }, (_, i) => (i < 2 ? i : rand() < 0.4 ? 1 : 0));
    assert.ok(Math.abs(auroc(s, y) - pairwise(s, y)) < 1e-12);
  }
});

test('accepts typed arrays and Infinity scores', () => {
  assert.equal(auroc(new Float64Array([Infinity, 1, -Infinity]), new Uint8Array([1, 0, 0])), 1);
});

test('throws on a single class, NaN scores, mismatched lengths and bad labels', () => {
  assert.throws(() => auroc([1, 2, 3], [0, 0, 0]), /both classes/);
  assert.throws(() => auroc([1, 2, 3], [1, 1, 1]), /both classes/);
  assert.throws(() => auroc([1, NaN], [0, 1]), /NaN/);
  assert.throws(() => auroc([1, 2], [0, 1, 1]), /2 scores but 3 labels/);
  assert.throws(() => auroc([1, 2], [0, 2]), /neither 0 nor 1/);
});
