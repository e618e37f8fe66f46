// The header's claims: durations, ETA (honest before the first trial), rate,
// and the environment rules for colour and Unicode.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatEta, fmtLoss, trialsPerHour } from '../../src/tui/format.js';
import { estimateEta, finishedCostOf, trialCosts, unbuiltPretrainings } from '../../src/tui/eta.js';
import { expandGrid } from '../../src/grid/expand.js';
import { Study } from '../../src/study/schema.js';
import { TrialState } from '../../src/trial/state.js';
import { frozen } from './fixtures/data.js';
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
  const e = estimateEta({
    costs: null,
    waiting: 100,
    running: [
      { elapsed: 10, pretrains: null },
      { elapsed: 20, pretrains: true },
    ],
    unbuilt: null,
    workers: 2,
  });
  assert.deepEqual(e, { kind: 'first' });
  assert.equal(formatEta(e), 'ETA: after first trial');
});

test('ETA is the work left at the expected cost, shared by the workers', () => {
  const costs = { full: 100, cached: 100 };
  const run = (...elapsed: number[]) => elapsed.map((e) => ({ elapsed: e, pretrains: true }));
  // 2 workers, 100 s a trial; running trials have 40 and 60 s left; 10 wait: (40 + 60 + 1000) / 2.
  const e = estimateEta({ costs, waiting: 10, running: run(60, 40), unbuilt: null, workers: 2 });
  assert.deepEqual(e, { kind: 'eta', seconds: 550 });
  assert.equal(formatEta(e), 'ETA: 9m10s');
  // A trial past its cost counts as nearly done, never negative.
  assert.deepEqual(estimateEta({ costs, waiting: 0, running: run(500), unbuilt: null, workers: 4 }), {
    kind: 'eta',
    seconds: 0,
  });
  assert.deepEqual(estimateEta({ costs, waiting: 0, running: [], unbuilt: null, workers: 4 }), { kind: 'done' });
  // The last running trial bounds it from below: 8 workers do not make one trial faster.
  assert.deepEqual(estimateEta({ costs, waiting: 0, running: run(10), unbuilt: null, workers: 8 }), {
    kind: 'eta',
    seconds: 90,
  });
});

test('ETA prices the remaining trials by what they still do: pretraining or the cached one', () => {
  // The quick study's shape: 3 classes (3 share keys) x 6 points, 2 workers. The first
  // two trials pretrained (200 s) and trained (40 s); the rest of their keys load the cache.
  const study = Study.parse({
    name: 'eta',
    dataset: { name: 'synthetic' },
    grid: {
      model: ['IAE-LSTM-KL'],
      normalClass: [0, 1, 2],
      boundary: ['hard'],
      lambdaKl: [0.001, 0.01, 0.1],
      lambdaRec: [1, 5],
    },
  });
  const points = expandGrid(study.grid);
  assert.equal(points.length, 18);
  const byClass = (c: number) => points.filter((p) => p.params.normalClass === c);
  const done = [byClass(0)[0]!, byClass(1)[0]!].map((p, i) =>
    frozen(i + 1, p, TrialState.COMPLETE, {
      value: 0.9,
      seconds: 240,
      userAttrs: { duration_s: 240, pretrainSeconds: 200, pretrainCache: 'miss' },
    }),
  );
  const costs = trialCosts(done.map((t) => finishedCostOf(t, 240)!));
  assert.deepEqual(costs, { full: 240, cached: 40 });
  // Two more of classes 0 and 1 run (their pretraining is cached); class 2 still needs its own.
  const running = [byClass(0)[1]!.params, byClass(1)[1]!.params];
  const unbuilt = unbuiltPretrainings(points, done, running, true);
  assert.equal(unbuilt, 1);
  const eta = estimateEta({
    costs,
    waiting: 14,
    running: [
      { elapsed: 0, pretrains: null },
      { elapsed: 0, pretrains: false },
    ],
    unbuilt,
    workers: 2,
  });
  // (40 + 40 running, 1 x 240 + 13 x 40 waiting) / 2 workers = 420 s; the mean of the two finished (240 s) would say 32 min.
  assert.deepEqual(eta, { kind: 'eta', seconds: 420 });
  // Without shared pretraining every waiting trial pretrains.
  assert.equal(unbuiltPretrainings(points, done, running, false), null);
  assert.deepEqual(
    estimateEta({ costs, waiting: 14, running: [{ elapsed: 0, pretrains: true }], unbuilt: null, workers: 2 }),
    { kind: 'eta', seconds: (240 + 14 * 240) / 2 },
  );
  // A cache hit prices the load as it was measured.
  const hit = frozen(3, byClass(0)[2]!, TrialState.COMPLETE, {
    value: 0.9,
    seconds: 50,
    userAttrs: { duration_s: 50, pretrainSeconds: 6, pretrainCache: 'hit' },
  });
  assert.deepEqual(trialCosts([...done, hit].map((t) => finishedCostOf(t, t.userAttrs['duration_s'] as number)!)), {
    full: (40 + 40 + 44) / 3 + 200,
    cached: (40 + 40 + 44) / 3 + 6,
  });
  // Trials that did not record their pretraining time are averaged by kind.
  assert.deepEqual(
    trialCosts([
      { seconds: 300, pretrainSeconds: null, cacheHit: false },
      { seconds: 30, pretrainSeconds: null, cacheHit: true },
    ]),
    { full: 300, cached: 30 },
  );
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
