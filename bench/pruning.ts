// What pruning saves, measured: the same real study (Fashion-MNIST,
// IAE-LSTM-KL, a lambdaKl x lambdaRec grid per class, 3x3 unless given) run twice with the
// real CLI code path (runStart: worker threads, SQLite, pretraining cache),
// once without a pruner and once with one, each with fresh caches so both pay
// the same pretraining. Prints, side by side:
//   - compute: epochs trained (pretraining + joint, the load-independent
//     figure on a shared machine), process CPU seconds (every thread), wall
//     seconds and the sum of the trials' own durations;
//   - the oracle's pick per class (best final test AUROC among COMPLETE
//     points) in both runs, and whether its AUROC moved by more than 0.005;
//   - where a trial's time goes: the share of joint training spent scoring
//     the test set (evalSeconds / jointSeconds of the unpruned run's trials).
//
//   node --import tsx bench/pruning.ts [--pruner successive-halving|median|'<a study's pruner, JSON>']
//     [--classes 0,1,7] [--joint 9] [--train 300] [--test 600] [--pretrain 4] [--workers 2] [--json out.json]
//     [--full-from earlier.json] [--pruned-from earlier.json] [--only full|pruned] [--stale-after 60]
//     [--lambda-kl 0.001,0.01,0.1] [--lambda-rec 0.5,1,5]  (the group: every lambdaKl x lambdaRec of a class)
// --full-from takes the unpruned run from an earlier --json of the same study
// settings instead of training it again (training is seeded and deterministic
// per point, so its epochs and picks are the same; its seconds are of that run).
// --pruned-from does the same for the pruned run. --only runs one of the two
// and writes it to --json, so that the two can run as two processes at once
// (each keeps its own CPU seconds) and be compared afterwards with both -from
// options. --stale-after is start's: on a heavily shared machine a worker can
// go more than the default 60 s without a sign of life, and a trial failed
// that way is missing from the comparison.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runStart } from '../src/cli/commands/start/index.js';
import { openSqliteStorage } from '../src/storage/index.js';
import type { FrozenTrial } from '../src/storage/storage.js';
import { TrialState } from '../src/trial/state.js';
import { ATTR, readAttr } from '../src/trial/attrs.js';

const { values: a } = parseArgs({
  options: {
    pruner: { type: 'string', default: 'successive-halving' },
    classes: { type: 'string', default: '0,1,7' },
    joint: { type: 'string', default: '9' },
    train: { type: 'string', default: '300' },
    test: { type: 'string', default: '600' },
    pretrain: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    json: { type: 'string' },
    'full-from': { type: 'string' },
    'pruned-from': { type: 'string' },
    only: { type: 'string' },
    'stale-after': { type: 'string' },
    'lambda-kl': { type: 'string', default: '0.001,0.01,0.1' },
    'lambda-rec': { type: 'string', default: '0.5,1,5' },
  },
});

const pruner = a.pruner!.startsWith('{')
  ? (JSON.parse(a.pruner!) as Record<string, unknown>)
  : a.pruner === 'median'
    ? { kind: 'median', warmupEpochs: 1, minPeers: 3 }
    : { kind: 'successive-halving', minResource: 1, reductionFactor: 3 };

function studyOf(name: string, withPruner: boolean): Record<string, unknown> {
  return {
    name,
    dataset: { name: 'fashion-mnist', trainSize: Number(a.train), testSize: Number(a.test) },
    grid: {
      model: ['IAE-LSTM-KL'],
      normalClass: a.classes!.split(',').map(Number),
      boundary: ['hard'],
      lambdaKl: a['lambda-kl']!.split(',').map(Number),
      lambdaRec: a['lambda-rec']!.split(',').map(Number),
    },
    training: { pretrainEpochs: Number(a.pretrain), jointEpochs: Number(a.joint), batchSize: 64 },
    workers: Number(a.workers),
    backend: 'wasm',
    ...(withPruner ? { pruner } : {}),
  };
}

interface RunFigures {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly trialSeconds: number;
  readonly pretrainEpochs: number;
  readonly jointEpochs: number;
  readonly complete: number;
  readonly pruned: number;
  readonly failed: number;
  /** Per class: the oracle's pick. */
  readonly best: Record<number, { value: number; lambdaKl?: number; lambdaRec?: number; trial: number }>;
  readonly evalSeconds: number;
  readonly jointSeconds: number;
  /** Model build + pretraining or its cache load, over the COMPLETE trials. */
  readonly pretrainSeconds?: number;
  readonly trials: readonly FrozenTrial[];
}

function epochsOf(t: FrozenTrial, phase: 'pretrain' | 'joint'): number {
  const h = t.userAttrs['loss_history'];
  return Array.isArray(h) ? h.filter((e) => (e as { phase?: string } | null)?.phase === phase).length : 0;
}

async function run(label: string, withPruner: boolean): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), `bench-prune-${label}-`));
  try {
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify(studyOf(`bench-pruning-${label}`, withPruner)));
    const db = join(dir, 'study.sqlite3');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runStart({
      studyFile: file,
      db,
      cacheDir: join(dir, 'cache'),
      ...(a['stale-after'] ? { staleSeconds: Number(a['stale-after']) } : {}),
      signal: new AbortController().signal,
      write: (line) => console.log(`[${label}] ${line}`),
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const storage = openSqliteStorage(db);
    try {
      const study = (await storage.getStudy(`bench-pruning-${label}`))!;
      const trials = await storage.getTrials(study.id);
      const best: RunFigures['best'] = {};
      let evalSeconds = 0;
      let jointSeconds = 0;
      let pretrainSeconds = 0;
      for (const t of trials) {
        if (t.state !== TrialState.COMPLETE || t.value === null) continue;
        const c = t.params.normalClass;
        if (!best[c] || t.value > best[c]!.value)
          best[c] = { value: t.value, lambdaKl: t.params.lambdaKl, lambdaRec: t.params.lambdaRec, trial: t.number };
        evalSeconds += Number(readAttr(t.userAttrs, ATTR.evalSeconds) ?? 0);
        jointSeconds += Number(readAttr(t.userAttrs, ATTR.jointSeconds) ?? 0);
        pretrainSeconds += Number(readAttr(t.userAttrs, ATTR.pretrainSeconds) ?? 0);
      }
      const count = (s: number) => trials.filter((t) => t.state === s).length;
      return {
        wallSeconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        trialSeconds: trials.reduce((s, t) => s + Number(t.userAttrs['duration_s'] ?? 0), 0),
        pretrainEpochs: trials.reduce((s, t) => s + epochsOf(t, 'pretrain'), 0),
        jointEpochs: trials.reduce((s, t) => s + epochsOf(t, 'joint'), 0),
        complete: count(TrialState.COMPLETE),
        pruned: count(TrialState.PRUNED),
        failed: count(TrialState.FAIL),
        best,
        evalSeconds,
        jointSeconds,
        pretrainSeconds,
        trials,
      };
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load0 = (await import('node:os')).loadavg()[0];
const started = new Date().toISOString();
function fromJson(file: string, key: 'full' | 'pruned'): RunFigures {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    full?: Omit<RunFigures, 'trials'>;
    pruned?: Omit<RunFigures, 'trials'>;
    study: unknown;
  };
  if (JSON.stringify(saved.study) !== JSON.stringify(studyOf('x', false)))
    throw new Error(`${file} is of other study settings: ${JSON.stringify(saved.study)}`);
  const r = saved[key];
  if (!r) throw new Error(`${file} has no ${key} run (it was written with --only)`);
  return { ...r, trials: [] };
}
const strip = ({ trials, ...r }: RunFigures) => ({
  ...r,
  curves: trials.map((t) => ({ number: t.number, state: t.state, params: t.params, curve: [...t.intermediate] })),
});
if (a.only === 'full' || a.only === 'pruned') {
  const r = await run(a.only, a.only === 'pruned');
  const load1 = (await import('node:os')).loadavg()[0];
  console.log(
    `\n${a.only} run only, ${started}, load ${load0.toFixed(1)} -> ${load1.toFixed(1)}: ${r.pretrainEpochs} + ${r.jointEpochs} epochs, ${r.cpuSeconds.toFixed(1)} CPU s, ${r.wallSeconds.toFixed(1)} wall s`,
  );
  if (a.json)
    writeFileSync(
      a.json,
      JSON.stringify({ started, load0, load1, pruner, study: studyOf('x', false), [a.only]: strip(r) }, null, 1),
    );
  process.exit(0);
}
const full = a['full-from'] ? fromJson(a['full-from'], 'full') : await run('full', false);
const pruned = a['pruned-from'] ? fromJson(a['pruned-from'], 'pruned') : await run('pruned', true);
const load1 = (await import('node:os')).loadavg()[0];

const ratio = (x: number, y: number) => (y > 0 ? (x / y).toFixed(2) : '-');
const f = (x: number) => x.toFixed(1);
if (a['full-from'])
  console.log(`\nthe unpruned run is taken from ${a['full-from']} (its seconds are of that run, at its load)`);
if (a['pruned-from'])
  console.log(`the pruned run is taken from ${a['pruned-from']} (its seconds are of that run, at its load)`);
console.log(
  `\n${started}, load ${load0.toFixed(1)} -> ${load1.toFixed(1)}; pruner ${JSON.stringify(pruner)}; study ${JSON.stringify(studyOf('x', false))}`,
);
console.log('| | no pruner | pruner | saved (no pruner / pruner) |');
console.log('|---|---|---|---|');
const epochs = (r: RunFigures) => r.pretrainEpochs + r.jointEpochs;
console.log(
  `| epochs trained (pretrain + joint) | ${full.pretrainEpochs} + ${full.jointEpochs} = ${epochs(full)} | ${pruned.pretrainEpochs} + ${pruned.jointEpochs} = ${epochs(pruned)} | ${ratio(epochs(full), epochs(pruned))}x |`,
);
console.log(
  `| joint epochs alone | ${full.jointEpochs} | ${pruned.jointEpochs} | ${ratio(full.jointEpochs, pruned.jointEpochs)}x |`,
);
console.log(
  `| process CPU s | ${f(full.cpuSeconds)} | ${f(pruned.cpuSeconds)} | ${ratio(full.cpuSeconds, pruned.cpuSeconds)}x |`,
);
console.log(
  `| wall s | ${f(full.wallSeconds)} | ${f(pruned.wallSeconds)} | ${ratio(full.wallSeconds, pruned.wallSeconds)}x |`,
);
console.log(
  `| sum of trial durations s | ${f(full.trialSeconds)} | ${f(pruned.trialSeconds)} | ${ratio(full.trialSeconds, pruned.trialSeconds)}x |`,
);
console.log(
  `| trials COMPLETE / PRUNED / FAIL | ${full.complete} / ${full.pruned} / ${full.failed} | ${pruned.complete} / ${pruned.pruned} / ${pruned.failed} | |`,
);
console.log('\n| class | oracle pick, no pruner | oracle pick, pruner | AUROC change | within 0.005 |');
console.log('|---|---|---|---|---|');
let allWithin = true;
for (const c of Object.keys(full.best).map(Number)) {
  const x = full.best[c]!;
  const y = pruned.best[c];
  const d = y ? y.value - x.value : NaN;
  const ok = Math.abs(d) <= 0.005;
  allWithin &&= ok;
  const pick = (p: typeof x | undefined) =>
    p ? `${p.value.toFixed(4)} (lambdaKl ${p.lambdaKl}, lambdaRec ${p.lambdaRec})` : '-';
  console.log(`| ${c} | ${pick(x)} | ${pick(y)} | ${Number.isNaN(d) ? '-' : d.toFixed(4)} | ${ok ? 'yes' : 'no'} |`);
}
const saving = epochs(full) / epochs(pruned);
console.log(
  `\ngoal (>= 2x less compute in epochs trained, best AUROC per class within 0.005): ${saving >= 2 && allWithin ? 'met' : 'NOT met'} ` +
    `(${saving.toFixed(2)}x, ${allWithin ? 'every class within 0.005' : 'some class moved more than 0.005'})`,
);
console.log(
  `evaluation share of joint training (no-pruner run, ${full.complete} trials): ${f(full.evalSeconds)} s of ${f(full.jointSeconds)} s = ${(
    (100 * full.evalSeconds) /
    full.jointSeconds
  ).toFixed(1)}%` +
    (full.pretrainSeconds !== undefined
      ? `; of the trials' measured time (${f(full.pretrainSeconds + full.jointSeconds)} s): build + pretraining or its cache ${f(full.pretrainSeconds)} s, ` +
        `joint training ${f(full.jointSeconds - full.evalSeconds)} s, scoring ${f(full.evalSeconds)} s`
      : ''),
);
if (a.json) {
  writeFileSync(
    a.json,
    JSON.stringify(
      { started, load0, load1, pruner, study: studyOf('x', false), full: strip(full), pruned: strip(pruned) },
      null,
      1,
    ),
  );
}
