// The header's claims: durations, ETA (honest before the first trial), rate,
// and the environment rules for colour and Unicode.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateEta, formatDuration, formatEta, fmtLoss, trialsPerHour } from '../../src/tui/format.js';
import { colorAllowed, detectCaps, localeIsUtf8 } from '../../src/tui/caps.js';

test('formatDuration uses two units at most', () => {
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(2 * 3600 + 7 * 60 + 3), '2h07m');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3d04h');
  assert.equal(formatDuration(NaN), '?');
});

test('fmtLoss stays short', () => {
  assert.equal(fmtLoss(0.012345), '0.0123');
  assert.equal(fmtLoss(12.3456), '12.3');
  assert.equal(fmtLoss(0.0000123), '1.2e-5');
  assert.equal(fmtLoss(null), '-');
  assert.equal(fmtLoss(0), '0');
});

test('ETA says "after first trial" until one finished', () => {
  const e = estimateEta({ meanSeconds: null, waiting: 100, runningElapsed: [10, 20], workers: 2 });
  assert.deepEqual(e, { kind: 'first' });
  assert.equal(formatEta(e), 'ETA: after first trial');
});

test('ETA is the work left at the mean duration, shared by the workers', () => {
  // 2 workers, mean 100 s; running trials have 40 and 60 s left; 10 wait: (40 + 60 + 1000) / 2.
  const e = estimateEta({ meanSeconds: 100, waiting: 10, runningElapsed: [60, 40], workers: 2 });
  assert.deepEqual(e, { kind: 'eta', seconds: 550 });
  assert.equal(formatEta(e), 'ETA: 9m10s');
  // A trial past the mean counts as nearly done, never negative.
  assert.deepEqual(estimateEta({ meanSeconds: 100, waiting: 0, runningElapsed: [500], workers: 4 }), { kind: 'eta', seconds: 0 });
  assert.deepEqual(estimateEta({ meanSeconds: 100, waiting: 0, runningElapsed: [], workers: 4 }), { kind: 'done' });
  // The last running trial bounds it from below: 8 workers do not make one trial faster.
  assert.deepEqual(estimateEta({ meanSeconds: 100, waiting: 0, runningElapsed: [10], workers: 8 }), { kind: 'eta', seconds: 90 });
});

test('trials per hour counts the last hour, or less when the sweep is younger', () => {
  const now = 10 * 3600_000;
  const ends = [now - 7200_000, now - 1800_000, now - 600_000, now - 60_000];
  assert.equal(trialsPerHour(ends, 0, now), 3);
  // Started 20 minutes ago, 2 trials since: 6 an hour.
  assert.equal(trialsPerHour(ends, now - 1200_000, now), 6);
  assert.equal(trialsPerHour([], 0, now), null);
});

test('Unicode only for a UTF-8 locale; LC_ALL beats LC_CTYPE beats LANG', () => {
  assert.equal(localeIsUtf8({ LANG: 'en_US.UTF-8' }), true);
  assert.equal(localeIsUtf8({ LANG: 'de_DE.utf8' }), true);
  assert.equal(localeIsUtf8({}), false);
  assert.equal(localeIsUtf8({ LANG: 'C' }), false);
  assert.equal(localeIsUtf8({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }), false);
  assert.equal(localeIsUtf8({ LC_CTYPE: 'POSIX', LANG: 'en_US.UTF-8' }), false);
  assert.equal(localeIsUtf8({ LC_ALL: '', LC_CTYPE: 'C.UTF-8', LANG: 'C' }), true);
});

test('NO_COLOR (non-empty) and TERM=dumb turn colour off', () => {
  assert.equal(colorAllowed({}), true);
  assert.equal(colorAllowed({ NO_COLOR: '1' }), false);
  assert.equal(colorAllowed({ NO_COLOR: '' }), true);
  assert.equal(colorAllowed({ TERM: 'dumb' }), false);
  assert.deepEqual(detectCaps({ NO_COLOR: 'x', LC_ALL: 'en_GB.UTF-8' }), { color: false, unicode: true });
});
