// Property-based: no study file makes the loader fail with anything but a
// UserInputError (exit 2) whose lines name a field, whatever the file holds:
// any JSON value, any value at any field of a valid study, deep nesting, huge
// strings, numbers JSON.parse turns into Infinity or 0, and the NaN/Infinity
// literals JSON does not allow. Fixed seed: a failure replays the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonErrorOffset, parseStudyText, MAX_JSON_DEPTH } from '../../src/study/load.js';
import { StudyFileError, UserInputError } from '../../src/errors/index.js';

const SEED = 20261201;
const FILE = 'studies/fuzz.json';

const valid = {
  name: 'fuzz',
  dataset: { name: 'fashion-mnist', trainSize: 64 },
  grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1], lambdaKl: [0.001], nu: [0.1] },
  training: { pretrainEpochs: 1, jointEpochs: 1, batchSize: 32 },
  arch: { channels: [4, 8, 8], latent: 16 },
  workers: 2,
};

/** Every field path of the valid study, objects and array slots included, plus a new field at each level. */
function fieldPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = path.length ? [path] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...fieldPaths(x, [...path, i])));
  else if (v !== null && typeof v === 'object') {
    out.push([...path, 'extra']);
    for (const [k, x] of Object.entries(v)) out.push(...fieldPaths(x, [...path, k]));
  }
  return out;
}
const PATHS = fieldPaths(valid);

/** The valid study with `value` at `path` (a new key when absent). */
function withValue(path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(valid) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy;
}

/** A field path (grid.lambdaKl[0], ["odd key"].x) or (top level), then ": "; or where text stops being JSON. */
const KEY = String.raw`(?:\.?[A-Za-z_$][\w.$-]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])`;
const NAMES_WHERE = new RegExp(
  String.raw`^(?:\(top level\)|${KEY}+): |^not valid JSON: .* at line \d+, column \d+`,
  's',
);

/** A placeholder that JSON.stringify keeps as one string token, replaced by raw text afterwards. */
const HOLE = '"@@HOLE@@"';

/**
 * The outcome is a loaded study or a UserInputError whose every line names
 * where: a field path ("grid.lambdaKl[0]: ..."), or the line and column of
 * text that is not JSON. Anything else (RangeError, TypeError ...) fails.
 */
function assertAnswered(text: string): 'loaded' | 'refused' {
  try {
    parseStudyText(text, FILE);
    return 'loaded';
  } catch (err) {
    if (!(err instanceof UserInputError))
      throw new Error(`not a UserInputError: ${(err as Error)?.stack ?? String(err)}`);
    assert.ok(err instanceof StudyFileError, err.message);
    assert.ok(err.message.length < 20_000, `message of ${err.message.length} characters`);
    for (const issue of err.issues) assert.ok(NAMES_WHERE.test(issue), issue);
    return 'refused';
  }
}

// Sizes kept moderate so that 1500 cases take seconds; the 100k-deep case of issue 14 has its own test below.
const deep = fc.integer({ min: 1, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d));
const deepObject = fc.integer({ min: 1, max: 10_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d));
const hugeString = fc.integer({ min: 1, max: 200_000 }).map((n) => JSON.stringify('x'.repeat(n)));
const oddNumber = fc.constantFrom(
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '5e-324',
  '1.7976931348623157e308',
  '9007199254740993',
  '1e21',
  '0.1e1',
  '123456789012345678901234567890',
  '0.30000000000000004',
  '-1',
  '2.5',
  '1E3',
);
const notJson = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '+1',
  '.5',
  '1.',
  '0x10',
  "'a'",
  'undefined',
  '01',
  '1e',
  '--1',
);
/** Raw text for a value: any JSON value, or one of the hostile kinds above. */
const rawValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: oddNumber },
  { weight: 1, arbitrary: notJson },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: deepObject },
  { weight: 1, arbitrary: hugeString },
);

test('any JSON value as the whole file: loaded or refused naming the field, never an internal error', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      assertAnswered(JSON.stringify(v) ?? 'null');
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

test('any value at any field of a valid study (deep, huge, odd numbers, non-JSON literals): loaded or refused naming the field', () => {
  let loaded = 0;
  fc.assert(
    fc.property(fc.constantFrom(...PATHS), rawValue, (path, raw) => {
      const text = JSON.stringify(withValue(path, '@@HOLE@@')).replace(HOLE, raw);
      if (assertAnswered(text) === 'loaded') loaded++;
    }),
    { seed: SEED, numRuns: 1500 },
  );
  // Not every change is an error (a new lambdaKl value, a -0 ...): the property saw both outcomes.
  assert.ok(loaded > 0, 'some generated studies load');
});

test('jsonErrorOffset (the line:column of a JSON error) agrees with JSON.parse on what is JSON', () => {
  const accepts = (t: string) => {
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };
  // JSON texts, the same cut or with one character changed, and arbitrary strings.
  const text = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v, null, 1) ?? 'null'),
    fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.string({ maxLength: 1 })).map(([v, at, ch]) => {
      const t = JSON.stringify(v) ?? 'null';
      const k = at % (t.length + 1);
      return t.slice(0, k) + ch + t.slice(k + 1);
    }),
    fc.string({ unit: fc.constantFrom(...'{}[],:"\\ 0123456789.eE+-tfnrlsua'.split('')), maxLength: 20 }),
  );
  fc.assert(
    fc.property(text, (t) => {
      assert.equal(jsonErrorOffset(t) === undefined, accepts(t), JSON.stringify(t));
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

test('named cases: 1e400 is out of range (not "found null"), NaN is not JSON, 100k-deep nesting is refused by depth', () => {
  const refused = (text: string): StudyFileError => {
    try {
      parseStudyText(text, FILE);
    } catch (err) {
      assert.ok(err instanceof StudyFileError, String(err));
      return err;
    }
    assert.fail('expected a refusal');
  };
  const at = (path: (string | number)[], raw: string) => JSON.stringify(withValue(path, '@@HOLE@@')).replace(HOLE, raw);
  const kl = refused(at(['grid', 'lambdaKl', 0], '1e400'));
  assert.deepEqual(kl.issues, [
    'grid.lambdaKl[0]: number out of range (beyond the largest double, about 1.8e308); write a smaller number',
  ]);
  assert.doesNotMatch(kl.message, /null/);
  const nan = refused(at(['training', 'lr'], 'NaN'));
  assert.match(
    nan.issues[0]!,
    /^not valid JSON: .* at line 1, column \d+; NaN is not a JSON number, write a finite number$/,
  );
  const d = 100_000;
  const deepErr = refused(at(['description'], '['.repeat(d) + ']'.repeat(d)));
  assert.equal(deepErr.issues.length, 1);
  assert.match(
    deepErr.issues[0]!,
    new RegExp(`^description(\\[0\\]){${MAX_JSON_DEPTH - 1}}: nested deeper than ${MAX_JSON_DEPTH} levels`),
  );
});

test('bounds with their reasons: epochs, batch size, name length', () => {
  const issuesOf = (patch: Record<string, unknown>): string[] => {
    try {
      parseStudyText(JSON.stringify({ ...valid, ...patch }), FILE);
    } catch (err) {
      assert.ok(err instanceof StudyFileError, String(err));
      return [...err.issues];
    }
    assert.fail('expected a refusal');
  };
  assert.match(
    issuesOf({ training: { jointEpochs: 1e9 } })[0]!,
    /^training\.jointEpochs: at most 10000 epochs \(the paper trains a few hundred; more would run for days per trial\)/,
  );
  assert.match(
    issuesOf({ training: { pretrainEpochs: 10_001 } })[0]!,
    /^training\.pretrainEpochs: at most 10000 epochs/,
  );
  assert.match(
    issuesOf({ training: { batchSize: 100_000 } })[0]!,
    /^training\.batchSize: at most 4096 \(one batch and its activations are held in memory at once\)/,
  );
  const name = issuesOf({ name: 'n'.repeat(10_000) });
  assert.equal(name.length, 1);
  assert.match(
    name[0]!,
    /^name: at most 100 characters \(it names the database file db\/<name>\.sqlite3; file names are limited to 255 bytes\) \(found a string of 10000 characters\)$/,
  );
  // At the limits, a study loads.
  parseStudyText(
    JSON.stringify({
      ...valid,
      name: 'n'.repeat(100),
      training: { pretrainEpochs: 10_000, jointEpochs: 10_000, batchSize: 4096 },
    }),
    FILE,
  );
});
