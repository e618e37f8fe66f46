// Fidelity: runs the small CPU study (studies/ordering-cpu.json by default)
// and prints, per class, each model's AUROC beside the paper's Table II value.
// Short runs are not expected to match the paper; the point is to catch a
// model that is broken: at chance (|AUROC - 0.5| < 0.05) or inverted (< 0.45).
//   node --import tsx bench/fidelity.ts [study.json] [--db PATH]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStart } from '../src/cli/commands/start/index.js';
import { openSqliteStorage } from '../src/storage/index.js';
import { TrialState } from '../src/trial/state.js';
import { modelLabel } from '../src/study/models.js';
import { loadStudyFile } from '../src/study/load.js';
import { paperValue, className } from '../src/report/index.js';

const args = process.argv.slice(2);
const studyFile = args.find((a) => a.endsWith('.json')) ?? 'studies/ordering-cpu.json';
const dbArg = args.indexOf('--db');
const db = dbArg >= 0 ? args[dbArg + 1]! : join(mkdtempSync(join(tmpdir(), 'fidelity-')), 'fidelity.sqlite3');
const { study } = loadStudyFile(studyFile);

const t0 = Date.now();
const result = await runStart({
  studyFile,
  db,
  signal: new AbortController().signal,
  write: (line) => process.stderr.write(line + '\n'),
});
const minutes = (Date.now() - t0) / 60000;

const storage = openSqliteStorage(db, { readonly: true });
const s = (await storage.getStudy(study.name))!;
const trials = await storage.getTrials(s.id, [TrialState.COMPLETE]);
await storage.close();

const rows = new Map<string, Map<number, number>>();
for (const t of trials) {
  const label = modelLabel(t.params.model, t.params.boundary);
  const byClass = rows.get(label) ?? new Map<number, number>();
  byClass.set(t.params.normalClass, Math.max(byClass.get(t.params.normalClass) ?? -Infinity, t.value!));
  rows.set(label, byClass);
}
const classes = [...new Set(trials.map((t) => t.params.normalClass))].sort((a, b) => a - b);
console.log(`\n${study.name}: ${result.completed} trials in ${minutes.toFixed(1)} min (${result.failed} failed)`);
console.log(`AUROC ours / paper (Table II, ${study.dataset.name}); "!" marks a broken-looking value`);
console.log(['model'.padEnd(16), ...classes.map((c) => className(study.dataset.name, c).padEnd(16))].join(''));
let broken = 0;
for (const [label, byClass] of rows) {
  const cells = classes.map((c) => {
    const ours = byClass.get(c);
    const paper =
      paperValue(study.dataset.name, 'main', label, c) ?? paperValue(study.dataset.name, 'ablation', label, c);
    const bad = ours !== undefined && (Math.abs(ours - 0.5) < 0.05 || ours < 0.45);
    if (bad) broken++;
    return `${ours === undefined ? '  -  ' : ours.toFixed(3)}${bad ? '!' : ' '}/ ${paper ? paper.value.toFixed(3) : '  -  '}`.padEnd(
      16,
    );
  });
  console.log([label.padEnd(16), ...cells].join(''));
}
const avg = (label: string) => {
  const v = [...(rows.get(label)?.values() ?? [])];
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};
console.log(
  `\nordering of the averages: ${[...rows.keys()]
    .sort((a, b) => avg(b) - avg(a))
    .map((l) => `${l} ${avg(l).toFixed(3)}`)
    .join(' > ')}`,
);
console.log(`broken-looking cells: ${broken}`);
