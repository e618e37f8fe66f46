// The worker side of the pool protocol, kept free of dependencies so that a
// worker file imports only this and its training code.
import type { MessagePort } from 'node:worker_threads';
import type { Emit, TrialResult, TrialTask } from './messages.js';

export const END_MARKER = { type: '__end' } as const;

export function isEndMarker(m: unknown): m is typeof END_MARKER {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '__end';
}

/**
 * Wraps a trial function as a Piscina worker export: `export default
 * defineWorker(async (task, emit) => ...)`. Progress goes out on the task's
 * port; the end marker follows the last progress message.
 */
export function defineWorker(fn: (task: TrialTask, emit: Emit) => Promise<TrialResult>) {
  return async function worker({ task, port }: { task: TrialTask; port: MessagePort }): Promise<TrialResult> {
    const emit: Emit = (p) => port.postMessage(p);
    try {
      return await fn(task, emit);
    } finally {
      port.postMessage(END_MARKER);
      port.close();
    }
  };
}
