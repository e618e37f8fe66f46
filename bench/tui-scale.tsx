// The live screen on a 3000-trial study with 8 workers, in real time: how long
// the report behind its tables takes to build, and how many frames a flood of
// progress messages draws. Each figure is printed beside its budget; the exit
// code is 1 when one is over. These budgets were asserts in
// test/tui/scale.test.tsx; the test now counts the same behaviour instead
// (reads per trial, publications and renders in simulated time), issue 12.
//   node --import tsx bench/tui-scale.tsx
import { cpus, loadavg } from 'node:os';
import { FinishedTrials, ReportKeeper } from '../src/tui/finished.js';
import type { ReportModel } from '../src/report/index.js';
import { BIG_SUMMARY, bigStore, bigTrials, floodStep, mountBig } from '../test/tui/fixtures/scale.js';

/** A rebuild every max(1 s, 10 x its cost): 10 s would leave the tables a minute and a half behind. */
const REPORT_BUDGET_MS = 10_000;
/** Ink draws at most maxFps = 10 frames a second; 3 frames of slack for the edges of the window. */
const rendersBudget = (elapsedMs: number) => (elapsedMs / 1000) * 10 + 3;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

const trials = bigTrials(3000);
const finished = new FinishedTrials();
finished.replaceAll(trials);

let report: ReportModel | null = null;
const keeper = new ReportKeeper(
  BIG_SUMMARY,
  () => finished.trials(),
  (r) => (report = r),
);
const t0 = performance.now();
keeper.computeNow();
const reportMs = performance.now() - t0;
keeper.dispose();
if (!report) throw new Error('the report did not build');

// Progress flood: 8 workers, one message each every 5 ms, for a second.
const store = bigStore(report, finished, Date.now);
const { instance, stdin, renders } = mountBig(store);
stdin.type('1');
await delay(150);
const renders0 = renders();
const t1 = Date.now();
let epoch = 0;
while (Date.now() - t1 < 1000) {
  floodStep(store, epoch++);
  await delay(5);
}
const elapsed = Date.now() - t1;
await delay(150);
const frames = renders() - renders0;
instance.unmount();
store.close();

const rows = [
  {
    what: 'report over 3000 trials (ReportKeeper.computeNow)',
    figure: `${reportMs.toFixed(0)} ms`,
    budget: `< ${REPORT_BUDGET_MS} ms`,
    over: reportMs >= REPORT_BUDGET_MS,
  },
  {
    what: `renders for ${epoch * 8} progress messages in ${elapsed} ms`,
    figure: String(frames),
    budget: `<= ${rendersBudget(elapsed).toFixed(1)}`,
    over: frames > rendersBudget(elapsed) || frames < 3,
  },
];
console.log(`${cpus()[0]?.model ?? '?'} x ${cpus().length}, load ${loadavg()[0]!.toFixed(1)}, Node ${process.version}`);
console.log('| measured | figure | budget | |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.figure} | ${r.budget} | ${r.over ? 'OVER' : 'ok'} |`);
process.exitCode = rows.some((r) => r.over) ? 1 : 0;
