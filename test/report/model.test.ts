// buildReport on hand-made trials: every expected number below is worked out
// by hand from the table of values in `handValues`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aurocHistory, buildReport, finalAuroc } from '../../src/report/model.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { JsonValue } from '../../src/storage/storage.js';
import type { Cell, ReportModel, ReportTable } from '../../src/report/types.js';
import { TrialState } from '../../src/trial/state.js';
import { UserInputError } from '../../src/errors/index.js';
import type { TrialParams } from '../../src/grid/expand.js';
import type { StudyInput } from '../../src/study/schema.js';
import { FIXED_META, studyOf, trialOf, trialsFor, type TrialSpec } from './fixtures.js';

const close = (a: number | null | undefined, b: number, eps = 1e-12) =>
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) <= eps, `expected ${b}, got ${a}`);
const sd = (xs: number[]) => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

const HAND: StudyInput = {
  name: 'hand',
  dataset: { name: 'fashion-mnist' },
  grid: {
    model: ['CAE', 'DeepSVDD', 'IAE-LSTM-KL'],
    normalClass: [0, 1],
    boundary: ['hard'],
    lambdaKl: [0.001, 0.1],
    lambdaRec: [1],
    seed: [0, 1, 2],
  },
  defaultPoint: { lambdaKl: 0.001, lambdaRec: 1 },
};

/**
 * IAE-LSTM-KL(h), svdd (rec = svdd - 0.1), by class, seed and lambdaKl:
 *   class 0: seed 0: 0.70 | 0.80   seed 1: 0.75 | 0.65   seed 2: 0.90 | 0.90 (a tie)
 *   class 1: seed 0: 0.60 | 0.62   seed 1: 0.64 | (WAITING)   seed 2: FAIL | RUNNING
 * Deep SVDD(h) (no tuned axis): class 0: 0.85, 0.80, 0.80; class 1: nothing.
 * CAE (rec only): class 0: 0.50 for every seed; class 1: 0.55.
 */
function handValues(p: TrialParams): TrialSpec | undefined {
  const svdd = (v: number): TrialSpec => ({
    auroc: { svdd: v, rec: v - 0.1 },
    history: { svdd: [v - 0.1, v], rec: [v - 0.2, v - 0.1] },
  });
  if (p.model === 'CAE')
    return {
      auroc: { rec: p.normalClass === 0 ? 0.5 : 0.55 },
      history: { rec: [0.45, p.normalClass === 0 ? 0.5 : 0.55] },
    };
  if (p.model === 'DeepSVDD') return p.normalClass === 0 ? { auroc: { svdd: [0.85, 0.8, 0.8][p.seed]! } } : undefined;
  const k = p.lambdaKl === 0.001 ? 0 : 1;
  if (p.normalClass === 0)
    return svdd(
      [
        [0.7, 0.8],
        [0.75, 0.65],
        [0.9, 0.9],
      ][p.seed]![k]!,
    );
  if (p.seed === 0) return svdd([0.6, 0.62][k]!);
  if (p.seed === 1) return k === 0 ? svdd(0.64) : undefined;
  return { state: k === 0 ? TrialState.FAIL : TrialState.RUNNING };
}

function build(
  select: 'oracle' | 'default' | 'median',
  extra: { score?: 'svdd' | 'rec'; compare?: 'paper' } = {},
  input: StudyInput = HAND,
) {
  const { study, summary } = studyOf(input);
  const trials = trialsFor(study, handValues);
  return buildReport({ study: summary, trials, meta: FIXED_META }, { select, ...extra });
}

function table(m: ReportModel, id: string): ReportTable {
  const t = m.tables.find((x) => x.id === id);
  assert.ok(t, `table ${id} missing; have ${m.tables.map((x) => x.id).join(', ')}`);
  return t;
}

function cell(m: ReportModel, label: string, column: string, id = 'main'): Cell {
  const t = table(m, id);
  const j = t.columns.findIndex((c) => c.label === column);
  const r = t.rows.find((x) => x.label === label);
  assert.ok(j >= 0 && r, `no cell ${label} / ${column}`);
  return r.cells[j]!;
}

describe('buildReport: oracle', () => {
  const m = build('oracle');

  it('selects the best final AUROC per seed, then mean and sample std over seeds', () => {
    const c = cell(m, 'IAE-LSTM-KL(h)', 't-shirt');
    assert.deepEqual(
      c.seeds.map((s) => s.value),
      [0.8, 0.75, 0.9],
    );
    close(c.mean, (0.8 + 0.75 + 0.9) / 3);
    close(c.std, sd([0.8, 0.75, 0.9]));
    assert.equal(c.n, 3);
    assert.equal(c.seedsExpected, 3);
    assert.equal(c.complete, true);
    assert.deepEqual(
      c.seeds.map((s) => s.point),
      [
        { lambdaKl: 0.1, lambdaRec: 1 },
        { lambdaKl: 0.001, lambdaRec: 1 },
        { lambdaKl: 0.001, lambdaRec: 1 },
      ],
    );
  });

  it('breaks a tie by the smallest lambdaKl and counts it', () => {
    const s2 = cell(m, 'IAE-LSTM-KL(h)', 't-shirt').seeds[2]!;
    assert.equal(s2.value, 0.9);
    assert.equal(s2.ties, 1);
    assert.deepEqual(s2.point, { lambdaKl: 0.001, lambdaRec: 1 });
    assert.equal(s2.pointsUsed, 2);
    assert.equal(s2.pointsExpected, 2);
  });

  it('uses what finished, and says the cell is incomplete', () => {
    const c = cell(m, 'IAE-LSTM-KL(h)', 'trouser');
    assert.deepEqual(
      c.seeds.map((s) => [s.seed, s.value, s.pointsUsed, s.pointsExpected]),
      [
        [0, 0.62, 2, 2],
        [1, 0.64, 1, 2],
      ],
    );
    close(c.mean, 0.63);
    assert.equal(c.n, 2);
    assert.equal(c.seedsExpected, 3);
    assert.equal(c.complete, false);
  });

  it('leaves a cell without finished trials empty, never 0', () => {
    const c = cell(m, 'Deep SVDD(h)', 'trouser');
    assert.equal(c.mean, null);
    assert.equal(c.std, null);
    assert.equal(c.n, 0);
    assert.equal(c.seedsExpected, 3);
    assert.equal(c.best, false);
  });

  it('averages class means; std over seeds of the per-seed class average', () => {
    const avg = cell(m, 'IAE-LSTM-KL(h)', 'Avg.');
    close(avg.mean, ((0.8 + 0.75 + 0.9) / 3 + 0.63) / 2);
    // Seeds 0 and 1 have both classes: per-seed averages 0.71 and 0.695.
    close(avg.std, sd([(0.8 + 0.62) / 2, (0.75 + 0.64) / 2]));
    assert.equal(avg.n, 2);
    assert.equal(avg.classesUsed, 2);
    assert.equal(avg.classesExpected, 2);
    const partial = cell(m, 'Deep SVDD(h)', 'Avg.');
    close(partial.mean, (0.85 + 0.8 + 0.8) / 3);
    assert.equal(partial.classesUsed, 1);
  });

  it('flags the best of each column as printed, ties included; a partial average never', () => {
    // t-shirt: IAE-LSTM-KL 0.81666.. and Deep SVDD 0.81666.. both print 0.817.
    assert.equal(cell(m, 'IAE-LSTM-KL(h)', 't-shirt').best, true);
    assert.equal(cell(m, 'Deep SVDD(h)', 't-shirt').best, true);
    assert.equal(cell(m, 'CAE', 't-shirt').best, false);
    // Avg.: Deep SVDD's 0.817 is over one class only, so IAE-LSTM-KL's 0.723 is the best.
    assert.equal(cell(m, 'Deep SVDD(h)', 'Avg.').best, false);
    assert.equal(cell(m, 'IAE-LSTM-KL(h)', 'Avg.').best, true);
  });

  it('reports a model without the requested score with its own (CAE: rec)', () => {
    const row = table(m, 'main').rows.find((r) => r.label === 'CAE')!;
    assert.equal(row.row.score, 'rec');
    close(row.cells[0]!.mean, 0.5);
    assert.match(m.selection.caption, /CAE: rec/);
    assert.match(m.selection.caption, /oracle/);
  });

  it('keeps rows in the paper order and makes no ablation or gate table without their models', () => {
    assert.deepEqual(
      table(m, 'main').rows.map((r) => r.label),
      ['CAE', 'Deep SVDD(h)', 'IAE-LSTM-KL(h)'],
    );
    assert.deepEqual(
      m.tables.map((t) => t.id),
      ['main'],
    );
    assert.deepEqual(
      table(m, 'main').columns.map((c) => c.label),
      ['t-shirt', 'trouser', 'Avg.'],
    );
  });

  it('counts trials used and missing for the provenance', () => {
    const p = table(m, 'main').provenance;
    // Finished: CAE 6, Deep SVDD 3, IAE-LSTM-KL 2*3 + 2 + 1 = 9.
    assert.equal(p.trialsUsed, 18);
    // Missing: Deep SVDD class 1 (3 points), IAE-LSTM-KL class 1 seed 1 (1) and seed 2 (2).
    assert.equal(p.pointsMissing, 6);
    assert.equal(p.trialsFailed, 1);
    assert.deepEqual(p.seeds, [0, 1, 2]);
    assert.equal(m.provenance.version, '0.1.0');
    assert.equal(m.provenance.generatedAt, FIXED_META.generatedAt);
    assert.deepEqual(m.provenance.backends, ['cpu']);
    assert.equal(m.provenance.epochs.observedJoint, 2);
  });

  it('counts progress per state and per row', () => {
    assert.deepEqual(m.progress.states, { WAITING: 0, RUNNING: 1, COMPLETE: 18, PRUNED: 0, FAIL: 1 });
    assert.equal(m.progress.pointsExpected, 6 + 6 + 12);
    assert.equal(m.progress.pointsComplete, 18);
    assert.equal(m.progress.pointsNotEnqueued, 4);
    assert.deepEqual(
      m.progress.byRow.map((r) => [r.label, r.complete, r.expected]),
      [
        ['CAE', 6, 6],
        ['Deep SVDD(h)', 3, 6],
        ['IAE-LSTM-KL(h)', 9, 12],
      ],
    );
  });

  it('gives the best trial of each row so far, best first', () => {
    assert.deepEqual(
      m.best.map((b) => [b.label, b.value, b.className, b.seed]),
      [
        ['IAE-LSTM-KL(h)', 0.9, 't-shirt', 2],
        ['Deep SVDD(h)', 0.85, 't-shirt', 0],
        ['CAE', 0.55, 'trouser', 0],
      ],
    );
  });

  it("averages the selected points' histories per epoch for Fig. 4", () => {
    const c = m.curves.find((x) => x.row.label === 'IAE-LSTM-KL(h)')!;
    assert.deepEqual(c.epochs, [1, 2]);
    const finals = [0.8, 0.75, 0.9, 0.62, 0.64];
    close(c.mean[1]!, finals.reduce((s, x) => s + x, 0) / 5);
    close(c.mean[0]!, finals.reduce((s, x) => s + x - 0.1, 0) / 5);
    assert.deepEqual(c.n, [5, 5]);
    assert.equal(c.classes, 2);
    assert.equal(c.classesExpected, 2);
    // Deep SVDD's trials have no history: no curve rather than a flat one.
    assert.equal(
      m.curves.some((x) => x.row.label === 'Deep SVDD(h)'),
      false,
    );
  });

  it('lays out hyperparameter grids with the oracle picks and the default point', () => {
    const g = m.grids.find((x) => x.row.label === 'IAE-LSTM-KL(h)' && x.normalClass === 0)!;
    assert.deepEqual(
      [g.x.key, g.x.values, g.y.key, g.y.values, g.nu],
      ['lambdaKl', [0.001, 0.1], 'lambdaRec', [1], null],
    );
    const [a, b] = g.cells[0]!;
    close(a!.mean, (0.7 + 0.75 + 0.9) / 3);
    close(b!.mean, (0.8 + 0.65 + 0.9) / 3);
    assert.equal(a!.oracleSeeds, 2); // seeds 1 and 2 (the tie)
    assert.equal(b!.oracleSeeds, 1);
    assert.equal(a!.isDefault, true);
    assert.equal(b!.isDefault, false);
    // Models with nothing tuned have no grid.
    assert.equal(
      m.grids.some((x) => x.row.model !== 'IAE-LSTM-KL'),
      false,
    );
  });
});

describe('buildReport: median and default', () => {
  it('median: the median over the grid per seed, then the mean over seeds', () => {
    const m = build('median');
    const c = cell(m, 'IAE-LSTM-KL(h)', 't-shirt');
    assert.deepEqual(
      c.seeds.map((s) => s.value),
      [0.75, 0.7, 0.9],
    );
    assert.equal(c.seeds[0]!.point, null);
    close(c.mean, (0.75 + 0.7 + 0.9) / 3);
    close(cell(m, 'IAE-LSTM-KL(h)', 'trouser').mean, (0.61 + 0.64) / 2);
    assert.match(m.selection.caption, /median/);
  });

  it("default: the study's defaultPoint, wherever it lands", () => {
    const m = build('default');
    const c = cell(m, 'IAE-LSTM-KL(h)', 't-shirt');
    assert.deepEqual(
      c.seeds.map((s) => s.value),
      [0.7, 0.75, 0.9],
    );
    assert.deepEqual(
      c.seeds.map((s) => s.trialNumbers.length),
      [1, 1, 1],
    );
    const t = cell(m, 'IAE-LSTM-KL(h)', 'trouser');
    // Seed 2's default point FAILed: missing, not replaced by another point.
    assert.deepEqual(
      t.seeds.map((s) => s.value),
      [0.6, 0.64],
    );
    assert.equal(t.complete, false);
    assert.match(m.selection.caption, /lambdaKl=0\.001, lambdaRec=1/);
  });

  it('default: an error that names the fix when the study has no defaultPoint', () => {
    const { defaultPoint: _, ...noDefault } = HAND;
    assert.throws(
      () => build('default', {}, noDefault),
      (e: unknown) => e instanceof UserInputError && /needs a defaultPoint/.test(e.message),
    );
  });

  it('default: an error when the defaultPoint leaves a swept axis open, or is not on the grid', () => {
    assert.throws(
      () => build('default', {}, { ...HAND, defaultPoint: { lambdaRec: 1 } }),
      (e: unknown) => e instanceof UserInputError && /does not set lambdaKl/.test(e.message),
    );
    assert.throws(
      () => build('default', {}, { ...HAND, defaultPoint: { lambdaKl: 0.5, lambdaRec: 1 } }),
      (e: unknown) => e instanceof UserInputError && /lambdaKl=0\.5 \(grid: 0\.001, 0\.1\)/.test(e.message),
    );
  });

  it('the oracle is never below the median or the default point', () => {
    const [o, med, def] = (['oracle', 'median', 'default'] as const).map((s) => build(s));
    for (const col of ['t-shirt', 'trouser', 'Avg.']) {
      const ov = cell(o!, 'IAE-LSTM-KL(h)', col).mean!;
      assert.ok(ov >= cell(med!, 'IAE-LSTM-KL(h)', col).mean! - 1e-12);
      assert.ok(ov >= cell(def!, 'IAE-LSTM-KL(h)', col).mean! - 1e-12);
    }
  });
});

describe('buildReport: scores, paper, variants, missing definition', () => {
  it('reports another score when asked', () => {
    const m = build('oracle', { score: 'rec' });
    close(cell(m, 'IAE-LSTM-KL(h)', 't-shirt').mean, (0.8 + 0.75 + 0.9) / 3 - 0.1);
    // Deep SVDD has no rec score: its own (svdd) is used.
    assert.equal(table(m, 'main').rows.find((r) => r.label === 'Deep SVDD(h)')!.row.score, 'svdd');
  });

  it('puts the paper value and our difference beside covered cells', () => {
    const m = build('oracle', { compare: 'paper' });
    const c = cell(m, 'IAE-LSTM-KL(h)', 't-shirt');
    assert.equal(c.paper, 0.915);
    assert.equal(c.paperTable, 'Table II');
    close(c.diff!, (0.8 + 0.75 + 0.9) / 3 - 0.915);
    const missing = cell(m, 'Deep SVDD(h)', 'trouser');
    assert.equal(missing.paper, 0.98);
    assert.equal(missing.diff, null);
    // Like with like: this study has 2 of the 10 classes, so its Avg. is set
    // beside the paper's mean over those 2 (0.846, 0.966), not the paper's
    // 10-class Avg. (0.843); a note says which classes.
    close(cell(m, 'CAE', 'Avg.').paper!, (0.846 + 0.966) / 2);
    close(cell(m, 'CAE', 'Avg.').diff!, cell(m, 'CAE', 'Avg.').mean! - (0.846 + 0.966) / 2);
    assert.ok(
      table(m, 'main').notes.some((n) =>
        /mean over the 2 classes this study has \(t-shirt, trouser\), not its published 10-class average/.test(n),
      ),
      table(m, 'main').notes.join('\n'),
    );
    assert.equal(cell(build('oracle'), 'CAE', 'Avg.').paper, undefined);
  });

  it('leaves out, and counts, the trials of points removed from the definition in force; the newest of several COMPLETE is used', () => {
    const full = studyOf(HAND);
    const trials = trialsFor(full.study, handValues);
    // The study file now has lambdaKl [0.001] only: the 0.1 points are removed.
    const shrunk = studyOf({ ...HAND, grid: { ...HAND.grid, lambdaKl: [0.001] } });
    const history = [{ hash: 'a' }, { hash: 'b' }] as unknown as JsonValue;
    const m = buildReport(
      {
        study: { ...shrunk.summary, systemAttrs: { ...shrunk.summary.systemAttrs, definition_history: history } },
        trials,
        meta: FIXED_META,
      },
      { select: 'oracle' },
    );
    const removed = trials.filter((t) => t.params.lambdaKl === 0.1).length;
    assert.ok(removed > 0);
    assert.equal(m.provenance.ignored.removed, removed);
    assert.equal(m.progress.trials, trials.length - removed);
    // class 0 of IAE-LSTM-KL(h) at lambdaKl 0.001 only: seeds 0.70, 0.75, 0.90.
    close(cell(m, 'IAE-LSTM-KL(h)', 't-shirt').mean!, (0.7 + 0.75 + 0.9) / 3);
    assert.ok(
      m.grids.every((g) => !g.x.values.includes(0.1)),
      'no figure plots a removed point',
    );
    const md = renderMarkdown([m]);
    assert.match(md, new RegExp(`${removed} trials of points removed from the study definition, left out`));
    assert.match(md, /definition changed 1 time\(s\)/);

    // Two COMPLETE trials of one point: the newest (highest number) is used, and counted.
    const point = trials.find(
      (t) => t.params.model === 'DeepSVDD' && t.params.normalClass === 0 && t.params.seed === 0,
    )!;
    const newer = {
      ...point,
      id: 9999,
      number: 9999,
      value: 0.5,
      userAttrs: { ...point.userAttrs, auroc: { svdd: 0.5 } },
    };
    const twice = buildReport(
      { study: full.summary, trials: [...trials, newer], meta: FIXED_META },
      { select: 'oracle' },
    );
    assert.equal(twice.provenance.severalComplete, 1);
    close(cell(twice, 'Deep SVDD(h)', 't-shirt').mean!, (0.5 + 0.8 + 0.8) / 3);
    assert.match(renderMarkdown([twice]), /1 point\(s\) with several COMPLETE trials: the newest of ours used/);
  });

  it("compares a study of all ten classes with the paper's published Avg.", () => {
    const input: StudyInput = {
      name: 'ten',
      dataset: { name: 'fashion-mnist' },
      grid: { model: ['CAE'], normalClass: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    };
    const { study, summary } = studyOf(input);
    const m = buildReport(
      { study: summary, trials: trialsFor(study, () => ({ auroc: { rec: 0.8 } })) },
      { select: 'oracle', compare: 'paper' },
    );
    assert.equal(cell(m, 'CAE', 'Avg.').paper, 0.843);
    assert.ok(!table(m, 'main').notes.some((n) => /classes this study has/.test(n)));
  });

  it('labels rows with the options a study sweeps, and only those', () => {
    const input: StudyInput = {
      name: 'variants',
      dataset: { name: 'cifar10' },
      grid: { model: ['CAE', 'IAE-LSTM-KL'], normalClass: [0], 'lstm.mode': ['cell', 'sequence'] },
    };
    const { study, summary } = studyOf(input);
    const trials = trialsFor(study, (p) =>
      p.model === 'CAE' ? { auroc: { rec: 0.6 } } : { auroc: { svdd: p['lstm.mode'] === 'cell' ? 0.7 : 0.65 } },
    );
    const m = buildReport({ study: summary, trials }, { select: 'oracle' });
    const t = table(m, 'main');
    assert.deepEqual(
      t.rows.map((r) => r.label),
      ['CAE', 'IAE-LSTM-KL(h) [lstm.mode=cell]', 'IAE-LSTM-KL(h) [lstm.mode=sequence]'],
    );
    assert.deepEqual(
      t.columns.map((c) => c.label),
      ['airplane', 'Avg.'],
    );
    assert.deepEqual(
      t.rows.map((r) => r.cells[0]!.mean),
      [0.6, 0.7, 0.65],
    );
  });

  it('without a definition: expected points are those with trials, and it says so', () => {
    const { study, summary } = studyOf(HAND);
    const trials = trialsFor(study, handValues);
    const m = buildReport({ study: { name: 'bare', systemAttrs: {} }, trials }, { select: 'oracle' });
    assert.ok(m.warnings.some((w) => /no definition or search space/.test(w)));
    assert.equal(m.progress.pointsExpected, trials.length);
    // Without the data set, classes are named by number.
    assert.deepEqual(
      table(m, 'main').columns.map((c) => c.label),
      ['class 0', 'class 1', 'Avg.'],
    );
    // With the search space alone the grid is known again.
    const withSpace = buildReport(
      { study: { name: 'space', systemAttrs: { search_space: summary.systemAttrs['search_space']! } }, trials },
      { select: 'oracle' },
    );
    assert.equal(withSpace.progress.pointsExpected, 24);
  });

  it('reads the final AUROC from the trial value when the auroc attribute lacks the score', () => {
    const { study } = studyOf(HAND);
    const t = trialOf(
      0,
      {
        id: 'x',
        params: {
          model: 'IAE-LSTM-KL',
          normalClass: 0,
          seed: 0,
          contamination: 0,
          minmax: 'train',
          boundary: 'hard',
          lambdaKl: 0.1,
          lambdaRec: 1,
          'lstm.mode': 'cell',
          'kl.form': 'authors',
        },
      },
      { auroc: { svdd: 0.7 } },
    );
    const bare = { ...t, userAttrs: { objective_score: 'svdd' } };
    assert.equal(finalAuroc(bare, 'svdd', study.objective), 0.7);
    assert.equal(finalAuroc(bare, 'rec', study.objective), null);
  });
});

describe('pruned points', () => {
  // One class, one seed, lambdaKl 0.001 | 0.01 | 0.1: the first was pruned at an
  // epoch-1 AUROC higher than anything finished, the others finished at 0.80 and 0.70.
  const input: StudyInput = {
    name: 'pruned',
    dataset: { name: 'fashion-mnist' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0], boundary: ['hard'], lambdaKl: [0.001, 0.01, 0.1] },
    defaultPoint: { lambdaKl: 0.001, lambdaRec: 1 },
  };
  const values = (p: TrialParams): TrialSpec =>
    p.lambdaKl === 0.001
      ? { state: TrialState.PRUNED, history: { svdd: [0.95] } }
      : { auroc: { svdd: p.lambdaKl === 0.01 ? 0.8 : 0.7 }, history: { svdd: [0.6, p.lambdaKl === 0.01 ? 0.8 : 0.7] } };
  const model = (select: 'oracle' | 'default' | 'median') => {
    const { study, summary } = studyOf(input);
    return buildReport({ study: summary, trials: trialsFor(study, values), meta: FIXED_META }, { select });
  };

  it('are done (not missing) and never a candidate: the oracle picks among the finished points', () => {
    const m = model('oracle');
    const t = table(m, 'main');
    const cell = t.rows[0]!.cells[0]!;
    close(cell.mean, 0.8);
    assert.equal(cell.complete, true, 'nothing is missing: the pruned point is done');
    assert.equal(t.provenance.pointsPruned, 1);
    assert.equal(t.provenance.pointsMissing, 0);
    assert.equal(t.provenance.trialsUsed, 2);
    assert.match(
      t.notes.join(' '),
      /1 grid point\(s\) of this table were pruned.*oracle choice among the rest still used their final test AUROC/,
    );
    assert.equal(m.progress.pointsPruned, 1);
    assert.equal(m.progress.pointsComplete, 2);
  });

  it('the median is over the rest (and says so); a pruned default point has no value', () => {
    const med = table(model('median'), 'main');
    close(med.rows[0]!.cells[0]!.mean, 0.75);
    assert.match(med.notes.join(' '), /median is over the points that were not pruned/);
    const def = table(model('default'), 'main');
    assert.equal(def.rows[0]!.cells[0]!.mean, null);
    assert.equal(def.provenance.pointsMissing, 0);
    assert.match(def.notes.join(' '), /default point was pruned has no value/);
  });
});

it('with training.evalEvery the history is read at the scored epochs (auroc_epochs)', () => {
  const { study } = studyOf(HAND);
  const [t] = trialsFor(study, (p) =>
    p.model === 'IAE-LSTM-KL' ? { auroc: { svdd: 0.7 }, history: { svdd: [0.5, 0.7] } } : undefined,
  );
  const sparse = { ...t!, userAttrs: { ...t!.userAttrs, auroc_epochs: [2, 3] } };
  assert.deepEqual(aurocHistory(sparse, 'svdd', 'svdd'), [
    { epoch: 2, value: 0.5 },
    { epoch: 3, value: 0.7 },
  ]);
  assert.deepEqual(aurocHistory(t!, 'svdd', 'svdd'), [
    { epoch: 1, value: 0.5 },
    { epoch: 2, value: 0.7 },
  ]);
});
