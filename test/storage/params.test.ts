// The one param codec (src/storage/params.ts) both backends read and import
// trial_params with: choices by index, Optuna-sampled values as they are, and
// a damaged index named in the backend's words. The backends' own use of it
// is run by the shared suite (suite.ts) on both; here the codec itself, and a
// real SQLite file damaged behind the storage's back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { StorageError } from '../../src/errors/index.js';
import type { ParamValue } from '../../src/grid/expand.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { categoricalJson, ParamCodec } from '../../src/storage/params.js';
import { DISTRIBUTIONS, makePoints, tempDir } from './helpers.js';

const FLOAT = '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0, "high": 1.0, "log": false}}';
const choices: ParamValue[] = ['CAE', 'IAE-LSTM-KL', 1e-4, 3];

function storageError(...fragments: string[]) {
  return (e: unknown) => {
    assert.ok(e instanceof StorageError, String(e));
    for (const f of fragments) assert.ok(e.message.includes(f), `"${f}" not in: ${e.message}`);
    return true;
  };
}

describe('ParamCodec', () => {
  const codec = new ParamCodec('db.sqlite3', 'damaged file?');

  it('decodes a choice by its index and a Float value as it is', () => {
    const json = categoricalJson(choices);
    assert.equal(
      json,
      '{"name": "CategoricalDistribution", "attributes": {"choices": ["CAE", "IAE-LSTM-KL", 0.0001, 3]}}',
    );
    choices.forEach((c, i) => assert.equal(codec.decode(json, i), c));
    assert.equal(codec.decode(FLOAT, 0.25), 0.25);
  });

  it("names an index outside the choices in the backend's words", () => {
    const json = categoricalJson(['a', 'b']);
    assert.throws(
      () => codec.decode(json, 2),
      storageError('param value index 2 is outside the choices', '(damaged file?)'),
    );
    const pg = new ParamCodec('postgresql://h/db', 'damaged database?');
    assert.throws(
      () => pg.decode(json, -1),
      (e: unknown) =>
        e instanceof StorageError && e.where === 'postgresql://h/db' && /\(damaged database\?\)$/.test(e.message),
    );
  });

  it('encodes an imported param from its choices or from stored JSON, kept verbatim', () => {
    assert.deepEqual(codec.encodeImported('model', 'IAE-LSTM-KL', choices), {
      value: 1,
      json: categoricalJson(choices),
    });
    // Stored JSON another writer spaced differently is kept as it is, not re-encoded.
    const theirs = '{"name":"CategoricalDistribution","attributes":{"choices":["x","y"]}}';
    assert.deepEqual(codec.encodeImported('p', 'y', theirs), { value: 1, json: theirs });
    assert.deepEqual(codec.encodeImported('lr', 0.5, FLOAT), { value: 0.5, json: FLOAT });
    assert.throws(() => codec.encodeImported('lr', 'x', FLOAT), storageError('lr="x" is not a number'));
    assert.throws(() => codec.encodeImported('p', 'z', theirs), storageError('p="z" is not among its choices'));
    assert.throws(() => codec.encodeImported('p', 'z', undefined), storageError('param "p" has no distribution'));
  });
});

describe('a SQLite file whose stored index is outside its choices', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('is read as an error naming the file, not as a missing value', async () => {
    const path = join(tmp.dir, 'study.db');
    const storage = openSqliteStorage(path);
    const s = await storage.openStudy('damaged', {});
    await storage.enqueuePoints(s.id, makePoints(1), DISTRIBUTIONS);
    await storage.close();
    const db = new Database(path);
    db.prepare("UPDATE trial_params SET param_value = 99 WHERE param_name = 'model'").run();
    db.close();
    const again = openSqliteStorage(path);
    try {
      await assert.rejects(
        again.getTrials(s.id),
        storageError('param value index 99 is outside the choices', '(damaged file?)', path),
      );
    } finally {
      await again.close();
    }
  });
});
