// Errors a trial can end with, besides the user errors of src/errors.
import { SweepError } from '../errors/index.js';
import type { Phase } from '../pool/messages.js';

/** A loss term became NaN or infinite: the run diverged (too large an lr or lambda, bad data). */
export class NonFiniteLossError extends SweepError {
  constructor(
    readonly phase: Phase,
    readonly epoch: number,
    readonly batch: number,
    readonly losses: Readonly<Record<string, number>>,
  ) {
    const terms = Object.entries(losses)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super(
      `non-finite loss in ${phase} epoch ${epoch}, batch ${batch}: ${terms}. ` +
        'The training diverged: lower the learning rate or the loss weights, or check the data for NaN/Infinity.',
    );
  }
}

/** The error a trial throws when its AbortSignal fires: a DOMException named "AbortError", as fetch and Node's APIs throw. */
export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  return new DOMException(r === undefined ? 'The trial was aborted' : `The trial was aborted: ${String(r)}`, 'AbortError');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
