// End to end in a real pseudo-terminal: `sweep start` on a tiny study runs in
// tmux, `sweep monitor` watches it from a second tmux window (plain ASCII, no
// colour), and the screens are read with capture-pane while the sweep trains.
// What they show is checked against the database (opened read-only).
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openSqliteStorage } from '../../src/storage/index.js';
import { buildReport } from '../../src/report/index.js';
import { fmt3 } from '../../src/report/format.js';
import { className } from '../../src/report/index.js';
import { TrialState } from '../../src/trial/state.js';
import { hasColour } from './fixtures/sgr.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SOCKET = `iae-tui-e2e-${process.pid}`;
/** Where tmux copies what each pane prints (pipe-pane): a write there is the event the waits below wake on. */
let PANES = '';
function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function tmuxAvailable(): boolean {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/** The pane's text; with `escapes`, its colours and attributes as SGR codes too. */
const capture = (target: string, escapes = false) =>
  tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', target);

/** Copies what the pane prints into PANES, so the waits hear each change of any screen. */
function follow(target: string): void {
  const log = join(PANES, `${target.replace(/\W/g, '_')}.log`);
  tmux('pipe-pane', '-o', '-t', target, `cat >> '${log}'`);
}

/**
 * Waits until `read` gives a value: checked at once and again each time a
 * pane prints (a write under PANES), never on a timer; the screens move at
 * least once a second while anything runs (the elapsed clock). `ms` is a
 * deadline guard that fails the test with the screen instead of hanging.
 */
async function until<T>(
  what: string,
  read: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
  target?: string,
): Promise<T> {
  let changed = true;
  let timedOut = false;
  let wake: (() => void) | null = null;
  const watcher = watch(PANES, () => {
    changed = true;
    wake?.();
  });
  const deadline = setTimeout(() => {
    timedOut = true;
    wake?.();
  }, ms);
  try {
    for (;;) {
      if (changed) {
        changed = false;
        const v = await read();
        if (v !== undefined && v !== false) return v;
      }
      if (timedOut)
        assert.fail(
          `timed out (${ms / 1000}s) waiting for ${what}${target ? `; the screen:\n${capture(target)}` : ''}`,
        );
      if (!changed) await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  } finally {
    watcher.close();
    clearTimeout(deadline);
  }
}

/** A shell command line that runs the CLI with a clean environment (CI variables would turn Ink's live output off). */
function cli(args: string, env: Record<string, string>): string {
  const vars = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TERM: 'xterm-256color',
    ...env,
  };
  const assign = Object.entries(vars).map(([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`);
  return `env -i ${assign.join(' ')} '${process.execPath}' --import tsx src/cli/index.ts ${args}; echo "EXIT=$?"; sleep 600`;
}

test(
  'sweep start shows the live screen in a terminal, and sweep monitor follows it from the database',
  { timeout: 420_000 },
  async (t) => {
    assert.ok(
      tmuxAvailable(),
      'tmux is not installed: this end-to-end test needs it (apt-get install tmux; scripts/setup.sh --test installs it)',
    );
    const dir = mkdtempSync(join(tmpdir(), 'iae-tui-e2e-'));
    PANES = join(dir, 'panes');
    mkdirSync(PANES);
    const db = join(dir, 'e2e.sqlite3');
    const studyFile = join(dir, 'tui-e2e.json');
    writeFileSync(
      studyFile,
      JSON.stringify({
        name: 'tui-e2e',
        dataset: { name: 'synthetic', trainSize: 32, testSize: 64 },
        arch: { channels: [4, 8, 8], latent: 16 },
        training: { pretrainEpochs: 1, jointEpochs: 1, batchSize: 16 },
        grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1, 2], lambdaKl: [0.001, 0.01], lambdaRec: [1] },
        workers: 2,
        backend: 'cpu',
      }),
    );
    try {
      tmux(
        'new-session',
        '-d',
        '-s',
        'start',
        '-x',
        '120',
        '-y',
        '32',
        '-c',
        ROOT,
        cli(`start '${studyFile}' --db '${db}' --no-cache`, { LANG: 'C.UTF-8' }),
      );
      const S = 'start';
      follow(S);

      // 1. The live screen appears with two running trials; its rows agree with the database.
      await until(
        'the header of sweep start',
        () => /iae-sweep start · study tui-e2e · synthetic/.test(capture(S)),
        120_000,
        S,
      );
      const reader = await until(
        'the database',
        () => (existsSync(db) ? openSqliteStorage(db, { readonly: true }) : undefined),
        30_000,
      );
      t.after(() => reader.close());
      const studyId = (await reader.getStudy('tui-e2e'))!.id;
      await until(
        'running rows that match the RUNNING trials',
        async () => {
          const screen = capture(S);
          const running = await reader.getTrials(studyId, [TrialState.RUNNING]);
          if (running.length !== 2) return false;
          return running.every((tr) => {
            const row = screen
              .split('\n')
              .find((l) =>
                new RegExp(
                  `^w\\d +#${tr.number} +IAE-LSTM-KL\\(h\\) +${tr.params.normalClass} ${className('synthetic', tr.params.normalClass)} +${tr.params.lambdaKl}\\b`,
                ).test(l),
              );
            return row !== undefined;
          });
        },
        60_000,
        S,
      );
      assert.match(capture(S), /trials 0\/6 done · 2 running · 4 waiting · 0 failed/);
      assert.match(capture(S), /ETA: after first trial/);
      // Colours in the start pane (no NO_COLOR there).
      assert.ok(hasColour(capture(S, true)));

      // 1b. Resizing (160, 80, 60 columns and back) leaves exactly one frame: no
      // stale pieces of earlier, wider frames above the live area. At each width
      // what a person needs stays: at 80 the running table keeps model, class,
      // phase, epoch, AUROC and time, and the footer's q; at 60 the percentage and ETA.
      for (const width of [160, 80, 60, 120]) {
        tmux('resize-window', '-t', S, '-x', String(width), '-y', '24');
        const screen = await until(
          `one frame at ${width} columns`,
          () => {
            const text = capture(S);
            const rows = text.split('\n');
            const rules = rows.filter((l) => /^─+$/.test(l));
            // The live area is redrawn at the new width: its rule is one column short of it.
            if (rules.length !== 1 || rules[0]!.length !== width - 1) return false;
            return rows.filter((l) => l.startsWith('iae-sweep start · ')).length === 1 &&
              rows.filter((l) => / q stop\/quit$/.test(l)).length === 1
              ? text
              : false;
          },
          30_000,
          S,
        );
        for (const l of screen.split('\n')) assert.ok(l.length <= width, `${width} columns: "${l}"`);
        const head = screen.split('\n').find((l) => /^w +/.test(l) && /AUROC/.test(l));
        if (width === 80) assert.match(head ?? '', /model +class +.*phase +epoch +AUROC .*time/, screen);
        if (width <= 80) assert.doesNotMatch(head ?? '', /backend|last losses/, screen);
        assert.match(screen, /\d+\.\d% · ETA: /, `${width} columns: the percentage and ETA`);
      }

      // 2. A monitor in a second window: ASCII (C locale) and no colour (NO_COLOR).
      tmux(
        'new-window',
        '-d',
        '-t',
        'start',
        '-n',
        'mon',
        '-c',
        ROOT,
        cli(`monitor tui-e2e --db '${db}'`, { LC_ALL: 'C', NO_COLOR: '1' }),
      );
      const M = 'start:mon';
      follow(M);
      await until('the monitor header', () => /iae-sweep monitor \| study tui-e2e/.test(capture(M)), 60_000, M);

      // 3. The first trial finishes: its line above the live area shows the stored value.
      const done = await until(
        'a finished trial',
        () => {
          const m = /✓ #(\d+) w\d .* AUROC (\d\.\d{3})/.exec(capture(S));
          return m ? { number: Number(m[1]), shown: m[2]! } : undefined;
        },
        240_000,
        S,
      );
      const stored = (await reader.getTrials(studyId, [TrialState.COMPLETE])).find((tr) => tr.number === done.number)!;
      assert.equal(done.shown, fmt3(stored.value!));
      assert.doesNotMatch(capture(S), /ETA: after first trial/);

      // 4. The best-so-far table (key 2) shows the numbers the export computes from the database.
      tmux('send-keys', '-t', S, '2');
      await until(
        'the best table to match buildReport over the stored trials',
        async () => {
          const report = buildReport(
            {
              study: (await reader.getStudy('tui-e2e'))!,
              trials: await reader.getTrials(studyId, [TrialState.COMPLETE, TrialState.FAIL]),
            },
            { select: 'oracle' },
          );
          const table = report.tables[0];
          if (!table) return false;
          const row = capture(S)
            .split('\n')
            .find((l) => l.startsWith('IAE-LSTM-KL(h) '));
          if (!row) return false;
          const shown = row
            .slice('IAE-LSTM-KL(h)'.length)
            .trim()
            .split(/\s+/)
            .map((x) => x.replace(/[†‡]/g, ''));
          const expected = table.rows[0]!.cells.map((c) => (c.mean === null ? '-' : fmt3(c.mean)));
          return JSON.stringify(shown) === JSON.stringify(expected);
        },
        30_000,
        S,
      );

      // 5. The monitor, in its own process, shows the same counts as the database, in ASCII without colour.
      await until(
        'the monitor counts to match the database',
        async () => {
          const c = await reader.countTrials(studyId);
          return capture(M).includes(
            `trials ${c[TrialState.COMPLETE]}/6 done | ${c[TrialState.RUNNING]} running | ${c[TrialState.WAITING]} waiting | ${c[TrialState.FAIL]} failed`,
          );
        },
        30_000,
        M,
      );
      const monitorScreen = capture(M, true);
      assert.ok(!hasColour(monitorScreen), 'NO_COLOR: the monitor prints no colour');
      assert.match(capture(M), /^[\x20-\x7e\n]*$/, 'C locale: the monitor prints ASCII only');

      // 6. The grid view (key 3), then q asks, y stops the sweep as Ctrl-C does.
      tmux('send-keys', '-t', S, '3');
      await until('the grid view', () => /^Grid · IAE-LSTM-KL\(h\) · 0 disk/m.test(capture(S)), 10_000, S);
      tmux('send-keys', '-t', S, 'q');
      await until('the stop question', () => /Stop the sweep\?/.test(capture(S)), 10_000, S);
      tmux('send-keys', '-t', S, 'y');
      const summary = await until(
        'the sweep to stop',
        () => {
          const screen = capture(S);
          const m = /sweep (?:stopped|finished): (\d+) completed, (\d+) failed/.exec(screen);
          return m && /EXIT=0/.test(screen) ? { completed: Number(m[1]), failed: Number(m[2]) } : undefined;
        },
        60_000,
        S,
      );
      const counts = await reader.countTrials(studyId);
      assert.equal(counts[TrialState.RUNNING], 0, 'no trial left RUNNING');
      assert.equal(counts[TrialState.FAIL], 0);
      assert.equal(summary.failed, 0);
      assert.equal(counts[TrialState.COMPLETE], summary.completed);
      assert.doesNotMatch(capture(S), /database is locked|SQLITE_BUSY|internal error/);

      // 7. The monitor saw the stop, and q leaves it.
      await until('the monitor to see nothing running', () => /\| 0 running \|/.test(capture(M)), 30_000, M);
      tmux('send-keys', '-t', M, 'q');
      await until('the monitor to exit', () => /EXIT=0/.test(capture(M)), 15_000, M);
      assert.doesNotMatch(capture(M), /database is locked|SQLITE_BUSY|internal error/);
    } finally {
      spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
