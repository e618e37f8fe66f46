import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStudyFile, parseStudyText } from '../../src/study/load.js';
import { StudyFileError, UserInputError } from '../../src/errors/index.js';
import { makeFifo } from '../data/helpers.js';

const base = {
  name: 't',
  dataset: { name: 'fashion-mnist' },
  grid: { model: ['IAE-LSTM-KL'], normalClass: [0] },
};

function errorOf(study: unknown, text?: string): StudyFileError {
  try {
    parseStudyText(text ?? JSON.stringify(study), 'studies/bad.json');
  } catch (err) {
    assert.ok(err instanceof StudyFileError, `expected StudyFileError, got ${err}`);
    return err;
  }
  assert.fail('expected the study to be rejected');
}

test('a minimal study gets the recipe defaults', () => {
  const { study, hash } = parseStudyText(JSON.stringify(base), 'x.json');
  assert.equal(study.training.pretrainEpochs, 200);
  assert.equal(study.training.batchSize, 64);
  assert.deepEqual(study.arch.channels, [32, 64, 128]);
  assert.deepEqual(study.grid['kl.form'], ['authors']);
  assert.deepEqual(study.grid['lstm.mode'], ['cell']);
  assert.equal(study.objective, 'svdd');
  assert.match(hash, /^[0-9a-f]{64}$/);
  // Same study, keys in another order: same hash.
  const reordered = { grid: base.grid, dataset: base.dataset, name: base.name };
  assert.equal(parseStudyText(JSON.stringify(reordered), 'y.json').hash, hash);
});

const malformed: [string, unknown, RegExp][] = [
  ['missing name', { ...base, name: undefined }, /- name: required field is missing/],
  ['bad name characters', { ...base, name: 'my study' }, /name: use letters, digits/],
  [
    'unknown dataset',
    { ...base, dataset: { name: 'mnist' } },
    /dataset\.name: found "mnist", expected one of "fashion-mnist"/,
  ],
  [
    'unknown model',
    { ...base, grid: { ...base.grid, model: ['IAE-LSTM-KLX'] } },
    /grid\.model\[0\]: found "IAE-LSTM-KLX", expected one of/,
  ],
  ['empty axis', { ...base, grid: { ...base.grid, normalClass: [] } }, /grid\.normalClass: needs at least one value/],
  [
    'typo in an axis name',
    { ...base, grid: { ...base.grid, lamdaKl: [1] } },
    /grid\.lamdaKl: unknown field \(did you mean "lambdaKl"\?\)/,
  ],
  [
    'string where a number goes',
    { ...base, training: { batchSize: '64' } },
    /training\.batchSize: expected number, found "64"/,
  ],
  ['negative epochs', { ...base, training: { jointEpochs: -1 } }, /training\.jointEpochs: .*(>0|positive|greater)/i],
  ['nu out of range', { ...base, grid: { ...base.grid, nu: [1.5] } }, /grid\.nu\[0\]: .*(<=1|less than or equal)/i],
  ['contamination above 0.25', { ...base, grid: { ...base.grid, contamination: [0.3] } }, /grid\.contamination\[0\]/],
  [
    'boundary value',
    { ...base, grid: { ...base.grid, boundary: ['medium'] } },
    /grid\.boundary\[0\]: found "medium", expected one of "hard", "soft"/,
  ],
  ['latent not a multiple of 16', { ...base, arch: { latent: 100 } }, /arch\.latent: must be a multiple of 16/],
  [
    'class beyond the data set',
    { ...base, grid: { ...base.grid, normalClass: [10] } },
    /grid\.normalClass\[0\]: class 10 does not exist in fashion-mnist \(classes 0\.\.9\)/,
  ],
  ['unknown backend', { ...base, backend: 'gpu' }, /backend: found "gpu", expected one of "auto"/],
  ['workers zero', { ...base, workers: 0 }, /workers: /],
  ['unknown top-level field', { ...base, epochs: 3 }, /epochs: unknown field/],
  ['grid is not an object', { ...base, grid: [1, 2] }, /grid: expected object/],
];

for (const [what, study, pattern] of malformed) {
  test(`rejects: ${what}`, () => {
    const err = errorOf(study);
    assert.match(err.message, /^studies\/bad\.json: invalid study file/);
    assert.match(err.message, pattern);
    assert.equal(err.exitCode, 2);
  });
}

test('rejects JSON syntax errors with line and column', () => {
  const err = errorOf(undefined, '{\n  "name": "t",\n  "grid": {,}\n}');
  assert.match(err.message, /not valid JSON: .* at line 3, column \d+/);
});

test('a missing file names the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'study-'));
  assert.throws(
    () => loadStudyFile(join(dir, 'nope.json')),
    (e: unknown) => e instanceof UserInputError && /nope\.json: no such file/.test(e.message),
  );
  const good = join(dir, 'ok.json');
  writeFileSync(good, JSON.stringify(base));
  assert.equal(loadStudyFile(good).study.name, 't');
  assert.deepEqual(readdirSync(dir).sort(), ['ok.json']);
});

test(
  'a FIFO or a device as the study file is refused by name, never read (reading a FIFO blocks)',
  { timeout: 60_000 },
  () => {
    const fifo = makeFifo(join(mkdtempSync(join(tmpdir(), 'study-')), 'pipe.json'));
    for (const f of [fifo, '/dev/zero']) {
      assert.throws(
        () => loadStudyFile(f),
        (e: unknown) =>
          e instanceof UserInputError &&
          e.message ===
            `${f}: is not a regular file (a FIFO, socket or device); a study is a JSON file, e.g. studies/quick.json`,
      );
    }
  },
);

test('every study shipped in studies/ is valid', () => {
  const files = readdirSync('studies').filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 2, 'studies/ has the quick and paper studies');
  for (const f of files) loadStudyFile(join('studies', f));
});
