// createTuiEvents: the scheduler's events drive the live screen. The real
// scheduler runs a real SQLite study (with a stand-in trial function) and the
// screen renders into a recorded terminal.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { TrialState } from '../../src/trial/state.js';
import { createTuiEvents } from '../../src/tui/events.js';
import { fmt3 } from '../../src/report/format.js';
import { prepareStudy, sweep, timedRunner, tinyStudy } from './fixtures/sweep.js';
import { FakeStdin, FakeStdout, asStdin, asStdout } from './fixtures/terminal.js';

test('sweep events drive the screen: live rows while running, one line per finished trial, renders batched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iae-tui-ev-'));
  const storage = openSqliteStorage(join(dir, 's.sqlite3'));
  try {
    const study = tinyStudy({ training: { pretrainEpochs: 3, jointEpochs: 4 } });
    const { studyId, points } = await prepareStudy(storage, study);
    const stdout = new FakeStdout(120, 30);
    const stdin = new FakeStdin();
    const abort = new AbortController();
    const tui = await createTuiEvents({
      storage,
      studyId,
      study,
      workers: 2,
      signal: abort.signal,
      interrupt: () => abort.abort(),
      stdout: asStdout(stdout),
      stdin: asStdin(stdin),
      caps: { color: false, unicode: true },
    });
    let notifications = 0;
    tui.store.subscribe(() => notifications++);
    let maxRunning = 0;
    let sawJoint = false;
    let sawStep = false;
    let sawCosts = false;
    const watch = setInterval(() => {
      const s = tui.store.getSnapshot();
      maxRunning = Math.max(maxRunning, s.running.length);
      if (s.running.some((r) => r.phase === 'starting' && r.step === 'data')) sawStep = true;
      // The ETA's evidence: costs from the finished trials, pretrainings still to build (the study shares them by default).
      if (s.costs !== null && s.unbuilt !== null) sawCosts = true;
      if (s.running.some((r) => r.phase === 'joint' && r.auroc.length > 0 && r.losses !== null)) sawJoint = true;
    }, 5);
    const t0 = Date.now();
    // 8 trials x 7 epochs x 2 workers: ~100 progress events in well under a second each.
    const summary = await sweep(storage, study, studyId, timedRunner(2, 15), abort.signal, tui);
    const ms = Date.now() - t0;
    clearInterval(watch);
    tui.unmount();

    assert.equal(summary.completed, points.length);
    assert.equal(maxRunning, 2);
    assert.ok(sawJoint, 'running rows carried phase, losses and AUROC');
    assert.ok(sawStep, 'a starting trial said what it does');
    assert.ok(sawCosts, 'the ETA got its costs');
    assert.match(stdout.text(), /preparing data/);
    // At most one repaint per 100 ms (plus the clock's ticks and the last frame).
    assert.ok(notifications <= ms / 100 + 3, `${notifications} repaints in ${ms} ms`);

    const text = stdout.text();
    for (const t of await storage.getTrials(studyId, [TrialState.COMPLETE])) {
      const line = new RegExp(`✓ #${t.number} w\\d IAE-LSTM-KL\\(h\\) .* AUROC ${fmt3(t.value!).replace('.', '\\.')}`);
      assert.match(text, line, `trial ${t.number}`);
      // Printed once, above the live area (<Static>), not repainted with every frame.
      assert.equal(text.split('\n').filter((l) => line.test(l)).length, 1, `trial ${t.number} printed once`);
    }
    assert.match(text, /trials 8\/8 done · 0 running · 0 waiting · 0 failed/);
    assert.match(text, /ETA: done/);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('q then y stops the sweep through the interrupt callback; the screen says STOPPING', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iae-tui-ev-'));
  const storage = openSqliteStorage(join(dir, 's.sqlite3'));
  try {
    const study = tinyStudy({ training: { pretrainEpochs: 50, jointEpochs: 50 } });
    const { studyId } = await prepareStudy(storage, study);
    const stdout = new FakeStdout(120, 30);
    const stdin = new FakeStdin();
    const abort = new AbortController();
    let interrupts = 0;
    const tui = await createTuiEvents({
      storage,
      studyId,
      study,
      workers: 2,
      signal: abort.signal,
      interrupt: () => {
        interrupts++;
        abort.abort();
      },
      stdout: asStdout(stdout),
      stdin: asStdin(stdin),
      caps: { color: false, unicode: true },
    });
    const running = sweep(storage, study, studyId, timedRunner(2, 20), abort.signal, tui);
    await new Promise((r) => setTimeout(r, 300));
    stdin.type('q');
    await new Promise((r) => setTimeout(r, 200));
    assert.match(stdout.text(), /Stop the sweep\?/);
    stdin.type('y');
    const summary = await running;
    await new Promise((r) => setTimeout(r, 200));
    tui.unmount();
    assert.equal(interrupts, 1);
    assert.equal(summary.interrupted, true);
    assert.equal(summary.requeued, 2);
    assert.equal((await storage.countTrials(studyId))[TrialState.RUNNING], 0);
    const text = stdout.text();
    assert.match(text, /STOPPING/);
    assert.equal((text.match(/interrupted, queued again/g) ?? []).length, 2);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
