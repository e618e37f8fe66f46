// A full disk under a running sweep, through a small tmpfs (we mount one where
// we may; elsewhere the test is skipped and says why): a clear error naming the
// database, exit 2, no stack trace; after space is freed the restart recovers
// and every point ends COMPLETE exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrialState } from '../../src/trial/state.js';
import { runCli, tinyStudy, trialsOf, waitFor } from '../e2e/helpers.js';

/** Writes until the file system says ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 16, 512, 1]) {
      const buf = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

test(
  'a full disk mid-sweep: exit 2 with a clear message; freed, the restart completes every point once',
  { timeout: 300_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-disk-'));
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      t.skip(
        `cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`,
      );
      return;
    }
    try {
      const file = join(dir, 'disk.json');
      const db = join(mnt, 'disk.sqlite3');
      writeFileSync(
        file,
        JSON.stringify(tinyStudy('disk', { normalClass: [0, 1, 2, 3] }, { pretrainEpochs: 2, jointEpochs: 3 })),
      );
      const run = runCli(['start', file, '--db', db, '--no-cache']);
      await waitFor(() => /\] started: /.test(run.stdout()), 240_000, 'a trial started');
      fill(join(mnt, 'filler'));
      const { code } = await run.done;
      assert.equal(code, 2, run.stderr());
      assert.match(
        run.stderr(),
        /^sweep: .*disk\.sqlite3: cannot read or write the database \(database or disk is full\); check the path, permissions and free disk space\n$/,
      );
      const before = (await trialsOf(db, 'disk')).filter((x) => x.state === TrialState.COMPLETE);

      rmSync(join(mnt, 'filler'));
      const again = runCli(['start', file, '--db', db, '--no-cache']);
      assert.equal((await again.done).code, 0, again.stderr());
      const trials = await trialsOf(db, 'disk');
      const complete = trials.filter((x) => x.state === TrialState.COMPLETE);
      assert.equal(complete.length, 4);
      assert.equal(new Set(complete.map((x) => x.gridPoint)).size, 4, 'each point COMPLETE exactly once');
      for (const b of before) assert.equal(trials.find((x) => x.id === b.id)?.value, b.value, 'finished trials kept');
      assert.equal(trials.filter((x) => x.state === TrialState.RUNNING || x.state === TrialState.WAITING).length, 0);
      console.log(
        `full disk: exit ${code}, ${before.length} trial(s) already COMPLETE kept, restart completed ${complete.length}/4 points`,
      );
    } finally {
      execFileSync('umount', [mnt]);
    }
  },
);
