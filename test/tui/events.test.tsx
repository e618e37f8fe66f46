// createTuiEvents: the scheduler's events drive the live screen. The real
// scheduler runs a real SQLite study (with a stand-in trial function) and the
// screen renders into a recorded terminal. Trials step on event-loop turns and
// wait at gates the test opens once the screen showed what it looks for.
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
import { gate, pacedRunner, prepareStudy, sweep, tinyStudy, turn, type Pace } from './fixtures/sweep.js';
import { FakeStdin, FakeStdout, asStdin, asStdout } from './fixtures/terminal.js';
import { published, until } from './fixtures/until.js';

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
    let maxRunning = 0;
    let sawCosts = false;
    // Every snapshot the screen is given, not a sample of them.
    const publishes = published(tui.store);
    publishes.on('publish', () => {
      notifications++;
      const s = tui.store.getSnapshot();
      maxRunning = Math.max(maxRunning, s.running.length);
      // The ETA's evidence: costs from the finished trials, pretrainings still to build (the study shares them by default).
      if (s.costs !== null && s.unbuilt !== null) sawCosts = true;
    });
    // Trials wait at the data step, then again after their first joint epoch, until the screen showed each.
    const preparing = gate();
    const training = gate();
    const pace: Pace = async (task, step, signal) => {
      if (step === 'data') await preparing.pass(signal);
      if (step === 'joint 2') await training.pass(signal);
      await turn(task, step, signal);
    };
    // 8 trials x 7 epochs x 2 workers: ~100 progress events.
    const running = sweep(storage, study, studyId, pacedRunner(2, pace), abort.signal, tui);
    const snap = () => tui.store.getSnapshot();
    await until(
      publishes,
      'publish',
      () => snap().running.filter((r) => r.phase === 'starting' && r.step === 'data').length === 2,
      'two running rows saying what they do',
    );
    preparing.open();
    await until(
      publishes,
      'publish',
      () => snap().running.some((r) => r.phase === 'joint' && r.auroc.length > 0 && r.losses !== null),
      'a running row with phase, losses and AUROC',
    );
    training.open();
    const summary = await running;
    tui.unmount();

    assert.equal(summary.completed, points.length);
    assert.equal(maxRunning, 2);
    assert.ok(sawCosts, 'the ETA got its costs');
    assert.match(stdout.text(), /preparing data/);
    // The screen was repainted (how often at most, one per 100 ms, is store.test.tsx's, on a simulated clock).
    assert.ok(notifications > 0);

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
    // Trials train their first pretraining epoch, then hold until the sweep stops them.
    const never = gate();
    const pace: Pace = async (task, step, signal) => {
      if (step === 'pretrain 2') await never.pass(signal);
      await turn(task, step, signal);
    };
    const running = sweep(storage, study, studyId, pacedRunner(2, pace), abort.signal, tui);
    await until(stdout, 'write', () => /2 running/.test(stdout.text()), 'two trials running on screen', {
      detail: () => stdout.text(),
    });
    stdin.type('q');
    await until(stdout, 'write', () => /Stop the sweep\?/.test(stdout.text()), 'the stop question', {
      detail: () => stdout.text(),
    });
    stdin.type('y');
    const summary = await running;
    // The last frame: unmount publishes the store and paints it before giving the terminal back.
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
