// Our pruning decisions against Optuna's own MedianPruner and
// SuccessiveHalvingPruner (Debian's python3-optuna, 3.1) on many seeded
// random groups of curves, ties included (values on a coarse grid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pruner } from '../../src/study/schema.js';
import { decide, type Peer } from '../../src/pruners/index.js';
import { mulberry32 } from '../../src/data/random.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/optuna_prune.py', import.meta.url));

interface Case {
  spec: Pruner;
  own: [number, number][];
  epoch: number;
  peers: { state: 'COMPLETE' | 'PRUNED' | 'RUNNING'; curve: [number, number][] }[];
}

function cases(n: number, seed: number): Case[] {
  const r = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  // Coarse values: ties between trials are common, as they are between near-identical lambdas.
  const value = () => Math.round((0.4 + 0.5 * r()) * 20) / 20;
  const curve = (epochs: number): [number, number][] => Array.from({ length: epochs }, (_, i) => [i + 1, value()]);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const spec =
      i % 2 === 0
        ? Pruner.parse({ kind: 'median', warmupEpochs: int(0, 2), minPeers: int(1, 4) })
        : Pruner.parse({
            kind: 'successive-halving',
            minResource: int(1, 2),
            reductionFactor: int(2, 4),
            minEarlyStoppingRate: int(0, 1),
            bootstrapCount: int(0, 3),
          });
    const epoch = int(1, 9);
    const peers = Array.from({ length: int(0, 8) }, () => {
      const state = (['COMPLETE', 'PRUNED', 'RUNNING'] as const)[int(0, 2)]!;
      return { state, curve: curve(state === 'COMPLETE' ? 10 : int(1, 9)) };
    });
    out.push({ spec, own: curve(epoch), epoch, peers });
  }
  return out;
}

test("our decisions equal Optuna 3.1's on 600 random cases", () => {
  const all = cases(600, 20261201);
  let theirs: boolean[];
  try {
    theirs = JSON.parse(
      execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify(all), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }),
    ) as boolean[];
  } catch (err) {
    assert.fail(
      `${PYTHON} with optuna could not answer (${(err as Error).message.split('\n')[0]}); install python3-optuna`,
    );
  }
  assert.equal(theirs.length, all.length);
  let pruned = 0;
  all.forEach((c, i) => {
    const peers: Peer[] = c.peers.map((p) => ({ complete: p.state === 'COMPLETE', curve: new Map(p.curve) }));
    // lastEpoch beyond every case: the "never at the last epoch" rule is ours, not Optuna's.
    const ours = decide(c.spec, new Map(c.own), c.epoch, 100, peers);
    assert.equal(
      ours.prune,
      theirs[i],
      `case ${i}: ${JSON.stringify(c)}: ours ${ours.prune} (${ours.reason}), Optuna ${theirs[i]}`,
    );
    if (ours.prune) pruned++;
  });
  // Both answers occur, for both pruners: the comparison is not vacuous.
  assert.ok(pruned >= 20 && pruned <= 580, `pruned ${pruned} of 600`);
  for (const kind of ['median', 'successive-halving']) {
    const mine = all.map((c, i) => ({ c, t: theirs[i] })).filter((x) => x.c.spec.kind === kind);
    assert.ok(mine.some((x) => x.t) && mine.some((x) => !x.t), kind);
  }
});
