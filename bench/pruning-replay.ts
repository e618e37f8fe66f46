// What a pruner would have saved on a study already run to the end, without
// training again: the stored curves of an unpruned run (the --json of
// bench/pruning.ts --only full) replayed through the real decisions
// (src/pruners/replay.ts), for any number of pruner settings.
//
//   node --import tsx bench/pruning-replay.ts --from full.json [--from more.json]
//     [--pruner '{"kind":"successive-halving","minResource":2,"reductionFactor":3}'] [--workers 2]
//     [--pretrain-cost 0.6]   (one pretraining epoch in joint-epoch units: sets when a class's trials start)
//     [--eval-every k]        (as training.evalEvery: the pruner sees every k-th epoch and the last)
//     [--check pruned.json]   (one per --from: a real pruned run of the same study, --only pruned --json;
//                              says trial by trial whether the replay of its pruner stopped the same trials
//                              after the same epochs)
//
// Prints, per run and pruner: joint epochs trained and saved, trials pruned,
// and each class's oracle pick (best final AUROC among COMPLETE points) beside
// the unpruned run's. bench/RESULTS.md checks the replay against real pruned
// runs of the same studies.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TrialParams } from '../src/grid/expand.js';
import { picksAfterReplay, replayPruner } from '../src/pruners/index.js';
import { Pruner } from '../src/study/schema.js';
import { evaluatesAt } from '../src/training/trial.js';
import { TrialState } from '../src/trial/state.js';

const { values: a } = parseArgs({
  options: {
    from: { type: 'string', multiple: true },
    pruner: { type: 'string', multiple: true },
    workers: { type: 'string', default: '2' },
    'pretrain-cost': { type: 'string', default: '0.6' },
    check: { type: 'string', multiple: true },
    'eval-every': { type: 'string', default: '1' },
  },
});
if (!a.from?.length) throw new Error('give --from <the --json of an unpruned bench/pruning.ts run>');

interface SavedRun {
  readonly curves: { number: number; state: number; params: TrialParams; curve: [number, number][] }[];
}
interface Saved {
  readonly study: { training: { pretrainEpochs: number; jointEpochs: number } };
  readonly pruner: unknown;
  readonly full?: SavedRun;
  readonly pruned?: SavedRun;
}

const specs = (a.pruner?.length ? a.pruner : ['{"kind":"successive-halving","minResource":1,"reductionFactor":3}']).map(
  (s) => Pruner.parse(JSON.parse(s)),
);
for (const [i, file] of a.from.entries()) {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
  if (!saved.full) throw new Error(`${file} has no unpruned run ("full"): write one with --only full --json`);
  const { pretrainEpochs, jointEpochs } = saved.study.training;
  const every = Number(a['eval-every']);
  const trials = saved.full.curves.map((t) => ({
    number: t.number,
    params: t.params,
    curve: new Map(t.curve.filter(([e]) => evaluatesAt(e, jointEpochs, every))),
  }));
  const classOf = new Map(trials.map((t) => [t.number, t.params.normalClass]));
  console.log(`\n${file}: ${trials.length} trials, ${jointEpochs} joint epochs`);
  const check = a.check?.[i];
  if (check) {
    const real = JSON.parse(readFileSync(check, 'utf8')) as Saved;
    if (!real.pruned) throw new Error(`${check} has no pruned run: write one with --only pruned --json`);
    const spec = Pruner.parse(real.pruner);
    const r = replayPruner(trials, spec, {
      workers: Number(a.workers),
      lastEpoch: jointEpochs,
      pretrainUnits: pretrainEpochs * Number(a['pretrain-cost']),
    });
    // A real pruned trial stopped after the last epoch it stored.
    const realAt = new Map(
      real.pruned.curves
        .filter((t) => t.state === TrialState.PRUNED)
        .map((t) => [t.number, Math.max(...t.curve.map(([e]) => e))]),
    );
    const differ = trials.filter((t) => r.prunedAt.get(t.number) !== realAt.get(t.number)).map((t) => t.number);
    console.log(
      `  check against ${check} (${JSON.stringify(spec)}): ${realAt.size} pruned in the real run, ${r.prunedAt.size} in the replay; ` +
        (differ.length ? `trials that differ: ${differ.join(', ')}` : 'the same trials, after the same epochs'),
    );
  }
  for (const spec of specs) {
    const r = replayPruner(trials, spec, {
      workers: Number(a.workers),
      lastEpoch: jointEpochs,
      pretrainUnits: pretrainEpochs * Number(a['pretrain-cost']),
    });
    const picks = [...picksAfterReplay(trials, r, jointEpochs).values()];
    const change = (p: (typeof picks)[number]) => (p.pruned ? p.pruned.value - p.full.value : -Infinity);
    const changes = picks
      .map((p) => `${classOf.get(p.full.trial)}: ${change(p).toFixed(4)}${p.pruned?.trial === p.full.trial ? '' : '*'}`)
      .join(', ');
    const worst = Math.min(...picks.map(change));
    console.log(
      `  ${JSON.stringify(spec)}: joint ${r.fullJointEpochs} -> ${r.jointEpochs} (${(r.fullJointEpochs / r.jointEpochs).toFixed(2)}x), pruned ${r.prunedAt.size}; best per class ${changes}${worst < -0.005 ? '  <- beyond 0.005' : ''}`,
    );
  }
}
