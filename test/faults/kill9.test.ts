// kill -9 at 20 seeded random moments of a real small sweep (real CLI, worker
// threads, tfjs training, SQLite): during pretraining, joint training, right
// after a write, and with an export running beside it; restarted each time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chaosLine, chaosSweep } from './chaos.js';

const KILLS = 20;

test(
  `kill -9 at ${KILLS} random moments: every grid point COMPLETE exactly once, nothing lost or rewritten`,
  { timeout: 600_000 },
  async () => {
    const r = await chaosSweep({ name: 'chaos', kills: KILLS, seed: 14 });
    console.log(chaosLine(r, KILLS));
    assert.equal(r.kills, KILLS, `${r.finishedEarly} round(s) found the sweep finished: the grid is too small`);
    for (const p of ['pretrain', 'joint', 'write', 'export'] as const)
      assert.ok(r.byPhase[p] > 0, `no kill during ${p}`);
    assert.equal(r.lost, 0);
    assert.equal(r.duplicated, 0);
    assert.equal(r.rewritten, 0);
    assert.deepEqual(r.otherFailures, []);
    assert.equal(
      r.trials,
      r.points + r.failedByKill,
      'one trial per point, plus one FAIL per trial a kill interrupted',
    );
    assert.equal(r.finalExportCode, 0, 'the export reads the database after every kill');
  },
);
