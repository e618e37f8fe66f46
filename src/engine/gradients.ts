// Makes tfjs-core's gradient functions available (tf.grads, optimizers).
//
// tfjs-core's Node entry registers kernels' gradients nowhere: the union
// package @tensorflow/tfjs does it, and we do not depend on it (it comes only
// with the optional tfjs-node). vendor/tfjs-core-gradients.cjs is tfjs-core's
// own register_all_gradients, bundled to CommonJS (see vendor/build-gradients.mjs).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../errors/index.js';

const VENDOR = 'tfjs-core-gradients.cjs';

/** Where the vendored bundle is: next to this module (tsx, src/) or back in src/ (compiled dist/src/engine/). */
export function vendoredGradientsPath(): string {
  const candidates = [
    new URL(`./vendor/${VENDOR}`, import.meta.url),
    new URL(`../../../src/engine/vendor/${VENDOR}`, import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new BackendError(
      `tfjs gradient bundle not found (looked at ${candidates.join(', ')}); ` +
        `regenerate it with: node src/engine/vendor/build-gradients.mjs`,
    );
  }
  return found;
}

/** The tfjs-core version the vendored bundle was generated from (its header). */
export function vendoredGradientsVersion(): string | null {
  const head = readFileSync(vendoredGradientsPath(), 'utf8').slice(0, 600);
  return /tfjs-core-version: (\S+)/.exec(head)?.[1] ?? null;
}

let registered = false;

/**
 * Registers tfjs-core's gradient configs once per thread. Skipped when another
 * package (the tfjs union loaded by tfjs-node) already did: the registry is
 * global and the configs are the same code.
 */
export function ensureGradients(): void {
  if (registered) return;
  if (tf.getGradient(tf.Conv2D) == null) {
    const require = createRequire(import.meta.url);
    require(vendoredGradientsPath());
    if (tf.getGradient(tf.Conv2D) == null) {
      throw new BackendError(
        'loading the tfjs gradient bundle registered no gradients; regenerate it with: node src/engine/vendor/build-gradients.mjs',
      );
    }
  }
  registered = true;
}
