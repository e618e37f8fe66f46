// Mounting the screen on a terminal and taking it down with its last frame.
import { type ReactElement } from 'react';
import { render } from 'ink';
import type { SweepStore } from './store.js';

export interface Mounted {
  /** Publishes the store's last state, paints it, and gives the terminal back. */
  finish(): void;
}

export function mountScreen(tree: ReactElement, store: SweepStore, io: { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream }): Mounted {
  const instance = render(tree, {
    stdout: io.stdout,
    stdin: io.stdin,
    // The screen handles Ctrl-C itself: raw mode turns it into a key, and
    // `sweep start` must stop the sweep (give trials back), not just unmount.
    exitOnCtrlC: false,
    patchConsole: true,
    // The store already batches to ~10 a second; Ink's own cap matches it.
    maxFps: 10,
  });
  let done = false;
  return {
    finish() {
      if (done) return;
      done = true;
      store.flush();
      // The flush only schedules React's update; rendering the same tree
      // again runs it now, so the frame left on screen (and the finished
      // trials above it) is the last state, not the one 100 ms before.
      instance.rerender(tree);
      instance.unmount();
      store.close();
    },
  };
}
