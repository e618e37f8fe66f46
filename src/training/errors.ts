// Errors a trial can end with, besides the user errors of src/errors.
import { SweepError } from '../errors/index.js';
import type { Phase } from './messages.js';

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
