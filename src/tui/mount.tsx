// Mounting the screen on a terminal and taking it down with its last frame.
import { type ReactElement } from 'react';
import { render } from 'ink';
import type { SweepStore } from './store.js';

export interface Mounted {
  /** Publishes the store's last state, paints it, and gives the terminal back. */
  finish(): void;
}

/**
 * The terminal as Ink sees it, redrawn whole on every resize. A terminal
 * rewraps the lines already on screen when it narrows (160 -> 80 columns
 * turns each line of the live area into two rows), and Ink then erases only
 * as many rows as it wrote lines, so pieces of earlier frames stay above the
 * live area. Ink has a clean redraw of its own (clear the screen, write the
 * finished-trial lines again, then the live area), which it takes when the
 * last frame was as tall as the terminal: during Ink's own resize handler this
 * stream reports zero rows, so that redraw is taken every time. Every other
 * reader, the screen's own size included, sees the real size.
 */
export function redrawingOnResize(stdout: NodeJS.WriteStream): NodeJS.WriteStream {
  type Listener = (...args: unknown[]) => void;
  const listeners: Listener[] = [];
  let redraw = false;
  const dispatch = () => {
    // Ink's handler is the first one: its constructor subscribes before anything renders.
    listeners.slice().forEach((l, i) => {
      redraw = i === 0;
      try {
        l();
      } finally {
        redraw = false;
      }
    });
  };
  const proxy: NodeJS.WriteStream = new Proxy(stdout, {
    get(target, prop) {
      if (prop === 'rows' && redraw) return 0;
      if (prop === 'on' || prop === 'addListener')
        return (event: string, fn: Listener) => {
          if (event !== 'resize') return (target.on(event, fn), proxy);
          if (listeners.length === 0) target.on('resize', dispatch);
          listeners.push(fn);
          return proxy;
        };
      if (prop === 'off' || prop === 'removeListener')
        return (event: string, fn: Listener) => {
          if (event !== 'resize') return (target.off(event, fn), proxy);
          const i = listeners.indexOf(fn);
          if (i >= 0) listeners.splice(i, 1);
          if (listeners.length === 0) target.off('resize', dispatch);
          return proxy;
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return proxy;
}

export function mountScreen(
  tree: ReactElement,
  store: SweepStore,
  io: { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream },
): Mounted {
  const instance = render(tree, {
    stdout: redrawingOnResize(io.stdout),
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
