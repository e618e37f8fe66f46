// Resizing the terminal: the mounted screen is redrawn whole (clear, the
// finished-trial lines again, the live area at the new width), so no piece of
// an earlier, wider frame stays above the live area. The tmux end-to-end test
// shows the same on a real terminal.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountScreen } from '../../src/tui/mount.js';
import { App } from '../../src/tui/components/App.js';
import { UiProvider } from '../../src/tui/theme.js';
import { SweepStore } from '../../src/tui/store.js';
import * as data from './fixtures/data.js';
import { FakeStdin, FakeStdout, asStdin, asStdout } from './fixtures/terminal.js';
import { until } from './fixtures/until.js';

const CLEAR_SCREEN = '\x1b[2J';
const plain = (x: string) => x.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\n');
/** The last frame (after log-update's erase, which ends in cursor-to-column-1). */
const lastFrame = (out: string) => plain(out.slice(out.lastIndexOf('\x1b[G') + 3));

test(
  'a resize redraws the screen whole at the new width; only Ink sees zero rows, the screen the real size',
  { timeout: 60_000 },
  async () => {
    const stdout = new FakeStdout(160, 30);
    const store = new SweepStore(data.snapshot(), 0);
    const p = data.POINTS[0]!;
    store.update((d) => {
      d.log = [{ key: 'a', kind: 'COMPLETE', number: 7, worker: 2, params: p.params, value: 0.91234, seconds: 61 }];
    });
    store.flush();
    const screen = mountScreen(
      <UiProvider caps={{ color: false, unicode: true }}>
        <App store={store} onQuit={() => {}} />
      </UiProvider>,
      store,
      { stdout: asStdout(stdout), stdin: asStdin(new FakeStdin()) },
    );
    try {
      // Ink draws on its own timers: wait for the frame, checked after each write.
      await until(stdout, 'write', () => stdout.writes.join('').includes('✓ #7 w2'), 'the first frame');
      assert.ok(!stdout.writes.join('').includes(CLEAR_SCREEN), 'no clear before a resize');
      for (const [columns, rows] of [
        [80, 24],
        [60, 24],
        [160, 30],
      ] as const) {
        const from = stdout.writes.length;
        stdout.resize(columns, rows);
        const since = () => stdout.writes.slice(from).join('');
        // Done once the live area is drawn at the new width after a clear.
        await until(
          stdout,
          'write',
          () => {
            const out = since();
            return (
              out.includes(CLEAR_SCREEN) &&
              lastFrame(out.slice(out.lastIndexOf(CLEAR_SCREEN))).some(
                (l) => /^─+$/.test(l) && l.length === columns - 1,
              )
            );
          },
          `the redraw at ${columns} columns`,
          { detail: () => lastFrame(since()).join('\n') },
        );
        const after = since();
        assert.ok(after.includes(CLEAR_SCREEN), `${columns} columns: the screen is cleared`);
        // The redraw after the clear (up to the next frame's erasing of it): the finished trial once, no line wider than the terminal.
        const cleared = after.slice(after.lastIndexOf(CLEAR_SCREEN));
        const redraw = plain(cleared.slice(0, cleared.indexOf('\x1b[2K') < 0 ? undefined : cleared.indexOf('\x1b[2K')));
        assert.equal(redraw.filter((l) => l.includes('✓ #7 w2')).length, 1, redraw.join('\n'));
        for (const l of redraw) assert.ok(l.length <= columns, `${columns} columns: "${l}"`);
        // The last frame is drawn for the new width.
        const last = lastFrame(after);
        assert.equal(
          last.filter((l) => /^─+$/.test(l)).pop()?.length,
          columns - 1,
          `${columns} columns: the live area follows the new width`,
        );
        for (const l of last) assert.ok(l.length <= columns, `${columns} columns: "${l}"`);
      }
    } finally {
      screen.finish();
    }
  },
);
