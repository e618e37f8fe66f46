// The worker side of the pool protocol, kept free of dependencies so that a
// worker file imports only this and its training code. It lives with the
// messages in training (the pool imports both), so a worker never imports the
// pool.
import type { MessagePort } from 'node:worker_threads';
import type { Emit, ShouldStop, TrialResult, TrialTask } from './messages.js';

export const END_MARKER = { type: '__end' } as const;

/** A sign of life from the worker's own thread: the scheduler heartbeats a trial only while they come. */
export const ALIVE_MARKER = { type: '__alive' } as const;

/** The trial asks whether to stop after `epoch` (ShouldStop); the runner answers with a StopVerdict. */
export interface StopQuestion {
  readonly type: '__ask';
  readonly epoch: number;
}

/** The runner's answer to a StopQuestion, sent back on the same port. */
export interface StopVerdict {
  readonly type: '__verdict';
  readonly epoch: number;
  readonly stop: boolean;
}

/** Whether a message on the port is a protocol message of this `type` (progress messages have other types). */
function isProtocol(m: unknown, type: string): boolean {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

export function isEndMarker(m: unknown): m is typeof END_MARKER {
  return isProtocol(m, END_MARKER.type);
}

export function isAliveMarker(m: unknown): m is typeof ALIVE_MARKER {
  return isProtocol(m, ALIVE_MARKER.type);
}

export function isStopQuestion(m: unknown): m is StopQuestion {
  return isProtocol(m, '__ask');
}

export function isStopVerdict(m: unknown): m is StopVerdict {
  return isProtocol(m, '__verdict');
}

/** Signs of life are sent at most this often. */
export const ALIVE_EVERY_MS = 1000;

/**
 * Wraps a trial function as a Piscina worker export: `export default
 * defineWorker(async (task, emit, alive, shouldStop) => ...)`. Progress goes
 * out on the task's port; the end marker follows the last progress message.
 *
 * Liveness comes from this thread, so a thread stuck in a loop falls silent:
 * a timer covers the waits (I/O, a verdict), and the trial calls `alive()`
 * between batches, since its synchronous training steps keep timers from firing.
 *
 * `shouldStop` asks the runner over the same port and waits for its verdict,
 * so the verdict is about the epoch just reported (the port keeps order).
 */
export function defineWorker(
  fn: (task: TrialTask, emit: Emit, alive: () => void, shouldStop: ShouldStop) => Promise<TrialResult>,
) {
  return async function worker({ task, port }: { task: TrialTask; port: MessagePort }): Promise<TrialResult> {
    const emit: Emit = (p) => port.postMessage(p);
    let last = 0;
    const alive = () => {
      const now = Date.now();
      if (now - last < ALIVE_EVERY_MS) return;
      last = now;
      port.postMessage(ALIVE_MARKER);
    };
    // One question at a time: a trial asks after an epoch and waits.
    let pending: { epoch: number; resolve: (stop: boolean) => void } | null = null;
    port.on('message', (m: unknown) => {
      if (isStopVerdict(m) && pending?.epoch === m.epoch) {
        const p = pending;
        pending = null;
        p.resolve(m.stop);
      }
    });
    const shouldStop: ShouldStop = (epoch) =>
      new Promise<boolean>((resolve) => {
        pending = { epoch, resolve };
        port.postMessage({ type: '__ask', epoch } satisfies StopQuestion);
      });
    alive();
    const timer = setInterval(alive, ALIVE_EVERY_MS);
    try {
      return await fn(task, emit, alive, shouldStop);
    } finally {
      clearInterval(timer);
      port.postMessage(END_MARKER);
      port.close();
    }
  };
}
