// trialTimeout and maxRetries: optional run policy. Absent, they leave a
// parsed study (and so its definition hash) as before; changing them between
// runs is allowed (they are not fixed settings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Study } from '../../src/study/schema.js';
import { fixedSettings, fixedSettingsDiff } from '../../src/study/compat.js';
import { DEFAULT_MAX_RETRIES, retryLimit } from '../../src/trial/retries.js';

const base = { name: 'p', dataset: { name: 'synthetic' }, grid: { model: ['IAE-LSTM-KL'], normalClass: [0] } };

test('trialTimeout and maxRetries: absent they add nothing to the parsed study; bad values are refused by field', () => {
  const plain = Study.parse(base);
  assert.equal('trialTimeout' in plain, false);
  assert.equal('maxRetries' in plain, false);
  assert.equal(retryLimit(plain), DEFAULT_MAX_RETRIES);
  const set = Study.parse({ ...base, trialTimeout: 90.5, maxRetries: 0 });
  assert.equal(set.trialTimeout, 90.5);
  assert.equal(retryLimit(set), 0);
  for (const [field, value] of [
    ['trialTimeout', 0],
    ['trialTimeout', -1],
    ['maxRetries', -1],
    ['maxRetries', 1.5],
    ['maxRetries', 'many'],
  ] as const) {
    const r = Study.safeParse({ ...base, [field]: value });
    assert.equal(r.success, false, `${field}: ${value}`);
    assert.deepEqual(r.error!.issues[0]!.path, [field]);
  }
  // A stored definition is JSON: anything but a whole number >= 0 counts as absent.
  assert.equal(retryLimit({ maxRetries: 'x' }), DEFAULT_MAX_RETRIES);
});

test('changing trialTimeout or maxRetries between runs is not a change of fixed settings', () => {
  const before = fixedSettings(Study.parse(base));
  assert.deepEqual(fixedSettingsDiff(before, Study.parse({ ...base, trialTimeout: 60, maxRetries: 5 })), []);
});
