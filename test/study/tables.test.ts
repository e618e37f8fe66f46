// The one model table and the one data-set table (src/study/models.ts,
// src/study/datasets.ts) are walked entry by entry: the schema, the study
// check, the data readers, the model registry, the report and the TUI must
// all know every entry, so that a model or data set added to a table cannot
// be missing anywhere else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_NAMES, DATASETS } from '../../src/study/datasets.js';
import {
  MODEL_NAMES,
  MODEL_TRAITS,
  modelLabel,
  modelPretrains,
  modelScores,
  modelsOfTable,
} from '../../src/study/models.js';
import { Arch, DatasetName, ModelName, Score, type StudyInput } from '../../src/study/schema.js';
import { parseStudyText } from '../../src/study/load.js';
import { StudyFileError } from '../../src/errors/index.js';
import { buildReport } from '../../src/report/model.js';
import { className, datasetTitle } from '../../src/report/classes.js';
import { classText, labelOf } from '../../src/tui/views.js';
import { BASELINES, implementedModels, isBaseline } from '../../src/models/index.js';
import { resolveNetwork } from '../../src/models/network.js';
import { expectedInputShape, FASHION_MNIST_CLASSES, CIFAR10_CLASSES, SYNTHETIC_CLASSES } from '../../src/data/index.js';
import { WTBI_CLASSES } from '../../src/data/wtbi.js';
import { locateMvtec, MVTEC_CATEGORIES, requireMvtecCategories } from '../../src/data/mvtec.js';
import { DatasetError } from '../../src/errors/index.js';
import { tempDir } from '../data/helpers.js';
import { studyOf, trialsFor } from '../report/fixtures.js';
import type { TrialParams } from '../../src/grid/expand.js';

describe('the model table', () => {
  it('is the schema enum, in the table order', () => {
    assert.deepEqual(ModelName.options, MODEL_NAMES);
    for (const m of MODEL_NAMES) assert.ok(ModelName.safeParse(m).success, m);
    assert.equal(ModelName.safeParse('NotAModel').success, false);
  });

  it('gives every model scores the schema knows, and a builder', () => {
    assert.deepEqual(implementedModels(), MODEL_NAMES);
    for (const m of MODEL_NAMES) {
      const scores = modelScores(m);
      assert.ok(scores.length > 0, `${m} has no score`);
      for (const s of scores) assert.ok(Score.safeParse(s).success, `${m}: ${s}`);
      const t = MODEL_TRAITS[m];
      assert.equal(isBaseline(m), t.baseline === true, m);
      if (isBaseline(m)) assert.ok(BASELINES[m], `${m} is a baseline without a builder`);
      else assert.equal(modelPretrains(m), true, `${m} is composed of the parts, so it pretrains`);
      assert.ok(t.tables.length > 0, `${m} is a row of no table`);
      if (t.gateLabel !== undefined)
        assert.deepEqual(t.tables, ['gates'], `${m}: a gate ablation is a row of Table VII only`);
    }
  });

  it('is known to the report (rows, tables, order, labels) and the TUI', () => {
    const input: StudyInput = {
      name: 'all-models',
      dataset: { name: 'synthetic' },
      grid: { model: [...MODEL_NAMES].reverse(), normalClass: [0] },
    };
    const { summary, study } = studyOf(input);
    const trials = trialsFor(study, (p: TrialParams) => ({
      auroc: Object.fromEntries(modelScores(p.model).map((s, i) => [s, 0.6 + 0.01 * i])),
      objective: modelScores(p.model)[0],
    }));
    const report = buildReport({ study: summary, trials }, { select: 'oracle' });
    const labelsOf = (kind: string) => report.tables.find((t) => t.kind === kind)?.rows.map((r) => r.row.model) ?? [];
    assert.deepEqual(labelsOf('main'), modelsOfTable('main'));
    assert.deepEqual(labelsOf('ablation'), modelsOfTable('ablation'));
    // Table VII prints the full model last.
    const gates = modelsOfTable('gates');
    assert.deepEqual(labelsOf('gates'), [
      ...gates.filter((m) => MODEL_TRAITS[m].gateLabel),
      ...gates.filter((m) => !MODEL_TRAITS[m].gateLabel),
    ]);
    const gateTable = report.tables.find((t) => t.kind === 'gates')!;
    for (const r of gateTable.rows) {
      const gl = MODEL_TRAITS[r.row.model].gateLabel;
      if (gl) assert.ok(r.label.endsWith(gl), `${r.label} names its gates`);
    }
    // Every model is a row, in the table's order, with its label, on the report and on the screen.
    const rows = report.best.map((b) => b.label);
    assert.equal(rows.length, MODEL_NAMES.length);
    for (const m of MODEL_NAMES) {
      const t = MODEL_TRAITS[m];
      const boundary = t.svdd ? ('hard' as const) : undefined;
      const label = modelLabel(m, boundary);
      assert.ok(label.startsWith(t.label), label);
      assert.ok(rows.includes(label), `the report has no row ${label}`);
      const params = trials.find((tr) => tr.params.model === m)!.params;
      assert.equal(labelOf(params), label, 'the TUI labels the trial as the report does');
    }
    assert.deepEqual(
      report.progress.byRow.map((r) => r.label),
      MODEL_NAMES.map((m) => modelLabel(m, MODEL_TRAITS[m].svdd ? 'hard' : undefined)),
    );
  });
});

describe('the data-set table', () => {
  it('is the schema enum, in the table order', () => {
    assert.deepEqual(DatasetName.options, DATASET_NAMES);
    assert.equal(DatasetName.safeParse('mnist').success, false);
  });

  it('is what the readers use', () => {
    assert.deepEqual([...FASHION_MNIST_CLASSES], DATASETS['fashion-mnist'].classes);
    assert.deepEqual([...CIFAR10_CLASSES], DATASETS.cifar10.classes);
    assert.deepEqual([...SYNTHETIC_CLASSES], DATASETS.synthetic.classes);
    assert.deepEqual([...WTBI_CLASSES], DATASETS.wtbi.classes);
    // MVTec AD's 15 published categories, sorted: class k is the folder of category k.
    assert.equal(MVTEC_CATEGORIES, DATASETS.mvtec.classes);
    assert.equal(MVTEC_CATEGORIES.length, 15);
    assert.deepEqual([...MVTEC_CATEGORIES], [...MVTEC_CATEGORIES].sort());
  });

  it("MVTec AD: the reader finds each of the table's categories by its folder, in class order", async () => {
    const root = tempDir();
    for (const c of [...MVTEC_CATEGORIES].reverse()) mkdirSync(join(root, c, 'train', 'good'), { recursive: true });
    assert.deepEqual((await locateMvtec(root)).categories, MVTEC_CATEGORIES);
    await requireMvtecCategories(
      root,
      MVTEC_CATEGORIES.map((_, k) => k),
    );
    // Each category's folder is the one its class needs.
    for (const [k, c] of MVTEC_CATEGORIES.entries()) {
      rmSync(join(root, c), { recursive: true });
      await assert.rejects(
        requireMvtecCategories(root, [k]),
        (e: unknown) => e instanceof DatasetError && e.message.includes(join(root, c, 'train', 'good')),
      );
      mkdirSync(join(root, c, 'train', 'good'), { recursive: true });
    }
  });

  for (const name of DATASET_NAMES) {
    it(`${name}: the study check, the network, the report and the TUI know it`, () => {
      const d = DATASETS[name];
      assert.ok(d.normalClasses >= 1 && d.normalClasses <= d.classes.length);
      assert.equal(new Set(d.classes).size, d.classes.length, 'class names are distinct');
      if (d.classGroups) {
        // Each class in exactly one published group.
        const grouped = Object.values(d.classGroups).flat();
        assert.deepEqual([...grouped].sort(), [...d.classes].sort());
      }
      const text = (normalClass: number) =>
        JSON.stringify({ name: 'x', dataset: { name }, grid: { model: ['CAE'], normalClass: [normalClass] } });
      assert.equal(parseStudyText(text(d.normalClasses - 1), 'x.json').study.dataset.name, name);
      assert.throws(
        () => parseStudyText(text(d.normalClasses), 'x.json'),
        (e: unknown) => e instanceof StudyFileError && /grid\.normalClass\[0\]/.test(e.message),
      );
      const shape = expectedInputShape(name);
      assert.ok(shape, `no input shape for ${name}`);
      assert.equal(
        resolveNetwork(Arch.parse({}), shape).network,
        d.network,
        "the network its shape gets is the table's",
      );
      assert.equal(datasetTitle(name), d.title);
      d.classes.forEach((c, i) => assert.equal(className(name, i), c));
      const { summary, study } = studyOf({
        name: 'x',
        dataset: { name },
        grid: { model: ['IAE-LSTM-KL'], normalClass: [0] },
      });
      const trials = trialsFor(study, () => ({ auroc: { svdd: 0.7 } }));
      const report = buildReport({ study: summary, trials }, { select: 'oracle' });
      const main = report.tables.find((t) => t.kind === 'main')!;
      assert.equal(main.columns[0]!.label, d.classes[0]);
      assert.equal(main.paperTable, d.paperTables.main ?? null);
      assert.ok(main.title.includes(d.title));
      assert.equal(classText(trials[0]!.params, name), `0 ${d.classes[0]}`);
    });
  }
});
