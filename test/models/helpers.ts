// Shared by the model and training tests: the cpu backend (always present),
// and small comparisons.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { ensureGradients } from '../../src/engine/index.js';

export async function useCpu(): Promise<void> {
  ensureGradients();
  await tf.setBackend('cpu');
  await tf.ready();
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    assert.ok(
      d <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]} (|d| = ${d})`,
    );
  }
}
