// The paper's published numbers as data: spot checks against the text, and
// the internal consistency the printed tables have (each Avg. is the mean of
// its row to within rounding), which a typo would break.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PAPER_TABLES, paperValue } from '../../src/report/paper-values.js';
import { classNames } from '../../src/report/classes.js';

describe('paper values', () => {
  it('holds Tables I to VII with their row counts', () => {
    assert.deepEqual(
      PAPER_TABLES.map((t) => [t.id, t.dataset, t.kind, Object.keys(t.rows).length]),
      [
        ['I', 'cifar10', 'main', 11],
        ['II', 'fashion-mnist', 'main', 11],
        ['III', 'wtbi', 'main', 11],
        ['IV', 'mvtec', 'main', 11],
        ['V', 'cifar10', 'ablation', 12],
        ['VI', 'fashion-mnist', 'ablation', 12],
        ['VII', null, 'gates', 4],
      ],
    );
  });

  it('has one value per class of the data set (WTBI: its one normal class)', () => {
    for (const t of PAPER_TABLES) {
      const n = t.kind === 'gates' ? 0 : t.dataset === 'wtbi' ? 1 : classNames(t.dataset).length;
      for (const [label, row] of Object.entries(t.rows)) assert.equal(row.values.length, n, `Table ${t.id} ${label}`);
    }
  });

  it('prints each average as the mean of its row, to within rounding', () => {
    for (const t of PAPER_TABLES) {
      for (const [label, row] of Object.entries(t.rows)) {
        if (row.values.length < 2) continue;
        const m = row.values.reduce((s, x) => s + x, 0) / row.values.length;
        assert.ok(Math.abs(m - row.avg) <= 0.0015, `Table ${t.id} ${label}: mean ${m} vs printed ${row.avg}`);
      }
    }
  });

  it('matches the text at spot checks', () => {
    assert.deepEqual(paperValue('cifar10', 'main', 'CAE', 0), { table: 'I', value: 0.581 });
    assert.deepEqual(paperValue('cifar10', 'main', 'IAE-LSTM-KL(h)', 'avg'), { table: 'I', value: 0.708 });
    assert.deepEqual(paperValue('fashion-mnist', 'main', 'Gaussian AD', 5), { table: 'II', value: 0.366 });
    assert.deepEqual(paperValue('wtbi', 'main', 'IAE-LSTM-KL(s)', 0), { table: 'III', value: 0.963 });
    // Table IV is printed transposed; "Ours(s)" is IAE-LSTM-KL(s). Screw is category 9.
    assert.deepEqual(paperValue('mvtec', 'main', 'IAE-LSTM-KL(s)', 9), { table: 'IV', value: 0.869 });
    assert.deepEqual(paperValue('mvtec', 'main', 'Deep SVDD(h)', 'avg'), { table: 'IV', value: 0.766 });
    assert.deepEqual(paperValue('cifar10', 'ablation', 'DLSVDD-KL(h)', 0), { table: 'V', value: 0.689 });
    assert.deepEqual(paperValue('fashion-mnist', 'ablation', 'IAE-LSTM(s)', 'avg'), { table: 'VI', value: 0.916 });
    assert.deepEqual(paperValue(null, 'gates', 'IAE-LSTM-KL(h) w/o input and output gates', 'avg'), {
      table: 'VII',
      value: 0.866,
    });
  });

  it('has nothing where the paper has nothing', () => {
    assert.equal(paperValue('fashion-mnist', 'main', 'DLSVDD(h)', 0), null);
    assert.equal(paperValue('mvtec', 'ablation', 'IAE-KL(h)', 0), null);
    assert.equal(paperValue('synthetic', 'main', 'CAE', 0), null);
    assert.equal(paperValue(null, 'gates', 'IAE-LSTM-KL(s)', 'avg'), null);
  });
});
