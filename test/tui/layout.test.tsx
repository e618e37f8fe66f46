// Pure layout decisions: truncation, column dropping, sparkline, bars, heat.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cellWidth,
  firstLine,
  fit,
  fitColumns,
  heatLevel,
  progressBar,
  sparkline,
  truncate,
  visibleCount,
} from '../../src/tui/layout.js';
import { ASCII_GLYPHS, UNICODE_GLYPHS } from '../../src/tui/caps.js';
import { layoutTable } from '../../src/tui/table.js';

test('truncate cuts to the width and marks the cut; short text is untouched', () => {
  assert.equal(truncate('IAE-LSTM-KL(h)', 20, '…'), 'IAE-LSTM-KL(h)');
  assert.equal(truncate('IAE-LSTM-KL(h)', 8, '…'), 'IAE-LST…');
  assert.equal(cellWidth(truncate('IAE-LSTM-KL(h)', 8, '…')), 8);
  assert.equal(truncate('abcdef', 4, '~'), 'abc~');
  assert.equal(truncate('abcdef', 0, '…'), '');
});

test('fit pads to exactly the width, numbers to the right', () => {
  assert.equal(fit('0.912', 7, 'right', '…'), '  0.912');
  assert.equal(fit('ab', 4, 'left', '…'), 'ab  ');
  assert.equal(fit('abcdefgh', 4, 'left', '…'), 'abc…');
});

test('firstLine keeps the first non-empty line of an error, whitespace collapsed', () => {
  assert.equal(firstLine('\n  Error: out of  memory\n    at x (y.ts:1)'), 'Error: out of memory');
});

test('fitColumns drops the least important columns first and never exceeds the width', () => {
  const cols = [
    { key: 'model', min: 8, max: 20, priority: 0 },
    { key: 'loss', min: 10, max: 40, priority: 5 },
    { key: 'auroc', min: 5, max: 5, priority: 1 },
    { key: 'backend', min: 4, max: 10, priority: 6 },
  ];
  const wide = fitColumns(cols, 200);
  assert.deepEqual(
    wide.map((c) => [c.key, c.width]),
    [
      ['model', 20],
      ['loss', 40],
      ['auroc', 5],
      ['backend', 10],
    ],
  );
  for (const width of [10, 14, 20, 25, 30, 40, 60, 80]) {
    const f = fitColumns(cols, width);
    const used = f.reduce((s, c) => s + c.width, 0) + Math.max(0, f.length - 1);
    assert.ok(used <= width, `width ${width}: used ${used}`);
  }
  // 14 cells: model (8) + auroc (5) + gap fit; loss and backend go.
  assert.deepEqual(
    fitColumns(cols, 14).map((c) => c.key),
    ['model', 'auroc'],
  );
  // Input order is kept whatever the priorities.
  assert.deepEqual(
    fitColumns(cols, 27).map((c) => c.key),
    ['model', 'loss', 'auroc'],
  );
  // An extra column gives way before it cuts a column that is not extra short:
  // 27 cells then hold the model whole (20) and the AUROC.
  const extra = cols.map((c) => (c.key === 'loss' || c.key === 'backend' ? { ...c, extra: true } : c));
  assert.deepEqual(
    fitColumns(extra, 27).map((c) => [c.key, c.width]),
    [
      ['model', 20],
      ['auroc', 5],
    ],
  );
  // With room for every column at its wish, the extras stay.
  assert.deepEqual(
    fitColumns(extra, 200).map((c) => c.key),
    ['model', 'loss', 'auroc', 'backend'],
  );
});

test('layoutTable sizes columns to content and reports what it dropped', () => {
  const t = layoutTable(
    [
      { key: 'a', header: 'model', min: 5, max: 30, priority: 0 },
      { key: 'b', header: 'AUROC', min: 5, max: 5, priority: 1, align: 'right' },
      { key: 'c', header: 'backend', min: 7, max: 10, priority: 9 },
    ],
    [{ a: { text: 'IAEAD(h)' }, b: { text: '0.912' }, c: { text: 'tensorflow' } }],
    15,
    '…',
  );
  assert.deepEqual(t.dropped, ['c']);
  assert.deepEqual(
    t.lines.map((l) => l.map((s) => s.text).join('')),
    ['model    AUROC', 'IAEAD(h) 0.912'],
  );
});

test('sparkline scales to the series and keeps the last values', () => {
  assert.equal(sparkline([0.5, 0.6, 0.7], 10, UNICODE_GLYPHS), '▁▅█');
  assert.equal(sparkline([0.7, 0.7], 10, UNICODE_GLYPHS), '▄▄');
  assert.equal(sparkline([], 10, UNICODE_GLYPHS), '');
  assert.equal(sparkline([1, 2, 3, 4, 5, 6], 3, UNICODE_GLYPHS).length, 3);
  assert.equal(sparkline([0.1, 0.9], 5, ASCII_GLYPHS), '_#');
  assert.match(sparkline([0.1, 0.5, 0.9], 5, ASCII_GLYPHS), /^[\x20-\x7e]+$/);
});

test('progressBar is exactly its width, with eighths in Unicode and whole cells in ASCII', () => {
  for (const f of [0, 0.01, 0.33, 0.5, 0.999, 1, 2, -1, NaN]) {
    assert.equal(cellWidth(progressBar(f, 20, UNICODE_GLYPHS)), 20);
    assert.equal(progressBar(f, 20, ASCII_GLYPHS).length, 20);
  }
  assert.equal(progressBar(0.5, 10, ASCII_GLYPHS), '#####-----');
  assert.equal(progressBar(0.55, 10, UNICODE_GLYPHS), '█████▌░░░░');
});

test('heatLevel spreads the grid over the levels; a flat grid is all top; missing stays null', () => {
  assert.equal(heatLevel(0.8, 0.8, 0.9, 5), 0);
  assert.equal(heatLevel(0.9, 0.8, 0.9, 5), 4);
  assert.equal(heatLevel(0.85, 0.8, 0.9, 5), 2);
  assert.equal(heatLevel(0.7, 0.7, 0.7, 5), 4);
  assert.equal(heatLevel(null, 0, 1, 5), null);
});

test('visibleCount keeps a line for "+k more" only when needed', () => {
  assert.deepEqual(visibleCount(5, 8), { shown: 5, hidden: 0 });
  assert.deepEqual(visibleCount(8, 8), { shown: 8, hidden: 0 });
  assert.deepEqual(visibleCount(9, 8), { shown: 7, hidden: 2 });
  assert.deepEqual(visibleCount(3, 0), { shown: 0, hidden: 3 });
});
