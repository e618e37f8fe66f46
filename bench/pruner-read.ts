// What one pruner check reads on a paper-scale study: the trials of the peer
// states with all their attributes (getTrials, what the pruner read before)
// against their curves alone (getTrialCurves, what it reads now), side by
// side on one SQLite file. Each trial carries what a finished paper trial
// stores: 20 intermediate values, a loss history of 220 epochs and an AUROC
// history of 3 scores x 20 epochs.
//
//   node --import tsx bench/pruner-read.ts [--trials 2500] [--rounds 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStorage } from '../src/storage/index.js';
import { TrialState } from '../src/trial/state.js';
import { DISTRIBUTIONS, makePoints, paperLossHistory } from '../test/storage/helpers.js';

const { values: a } = parseArgs({
  options: { trials: { type: 'string', default: '2500' }, rounds: { type: 'string', default: '5' } },
});
const n = Number(a.trials);
const rounds = Number(a.rounds);
const dir = mkdtempSync(join(tmpdir(), 'pruner-read-'));
const storage = openSqliteStorage(join(dir, 'b.sqlite3'));
try {
  const s = await storage.openStudy('b', {});
  await storage.enqueuePoints(s.id, makePoints(n), DISTRIBUTIONS);
  const lossHistory = paperLossHistory();
  const aurocHistory = {
    svdd: Array(20).fill(0.8123),
    rec: Array(20).fill(0.7123),
    'svdd+rec': Array(20).fill(0.8234),
  };
  for (let i = 0; i < n; i++) {
    const t = (await storage.claimTrial(s.id, 'bench'))!;
    await storage.atomically(async (tx) => {
      for (let e = 1; e <= 20; e++) await tx.setIntermediateValue(t.id, e, 0.5 + e / 100);
      await tx.setUserAttrs(t.id, { loss_history: lossHistory, auroc_history: aurocHistory, duration_s: 300 });
      // The last tenth still runs, as they would mid-study.
      if (i < n * 0.9) await tx.finishTrial(t.id, TrialState.COMPLETE, 0.7);
    });
  }
  const states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING];
  const time = async (f: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return ms.sort((x, y) => x - y)[Math.floor(ms.length / 2)]!;
  };
  const full = await time(() => storage.getTrials(s.id, states));
  const curves = await time(() => storage.getTrialCurves(s.id, states));
  console.log(
    `${new Date().toISOString()}, ${cpus()[0]?.model} x${cpus().length}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`${n} trials (90% COMPLETE), median of ${rounds} reads:`);
  console.log(`| read | ms per pruner check |\n|---|---|`);
  console.log(`| getTrials (before) | ${full.toFixed(0)} |`);
  console.log(`| getTrialCurves (now) | ${curves.toFixed(0)} |`);
  console.log(`ratio ${(full / curves).toFixed(1)}x`);
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
