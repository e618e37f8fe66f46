// The live screen's counts leave out a trial Optuna enqueued (real Optuna on
// a real SQLite file) and say how many were ignored.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { studyCounts } from '../../src/tui/counts.js';
import { headerLines } from '../../src/tui/views.js';
import { ASCII_GLYPHS } from '../../src/tui/caps.js';
import { optuna } from '../storage/optuna.js';
import { tempDir } from '../storage/helpers.js';
import { prepareStudy, tinyStudy } from './fixtures/sweep.js';
import { snapshot } from './fixtures/data.js';

const tmp = tempDir('iae-tui-foreign-');
after(() => tmp.cleanup());

test('header counts: trials of our grid only, and "N not from this grid, ignored"', async () => {
  const path = join(tmp.dir, 'study.sqlite3');
  const study = tinyStudy();
  const storage = openSqliteStorage(path);
  const { studyId, points } = await prepareStudy(storage, study);
  await storage.close();
  optuna('enqueue', path, study.name, JSON.stringify({ model: 'IAE-LSTM-KL', normalClass: 0 }));
  const again = openSqliteStorage(path, { readonly: true });
  try {
    const counts = await studyCounts(again, studyId);
    assert.deepEqual(counts, { complete: 0, running: 0, waiting: points.length, failed: 0, pruned: 0, foreign: 1 });
    const text = headerLines(snapshot({ counts, points: points.length, running: [] }), 200, ASCII_GLYPHS)
      .map((l) => l.map((s) => s.text).join(''))
      .join('\n');
    assert.match(text, new RegExp(`${points.length} waiting`));
    assert.match(text, /1 not from this grid, ignored/);
  } finally {
    await again.close();
  }
});
