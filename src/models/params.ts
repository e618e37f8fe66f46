// The named tensors of a model: trainable weights and the non-trained state
// (BN running statistics). One store per model, so saving, loading, counting
// and disposing walk one list, and parts only name what they add.
import * as tf from '@tensorflow/tfjs-core';

export interface ParamEntry {
  /** Stable name, e.g. "encoder.conv0.weight"; the pretrain cache keys on it. */
  readonly name: string;
  readonly variable: tf.Variable;
  readonly trainable: boolean;
}

export interface ParamSnapshot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Initial values, computed only when the store initialises (see `ParamStore`). */
export type Init = () => Float32Array;

export class ParamStore {
  private readonly entries = new Map<string, ParamEntry>();

  /**
   * @param initialise false fills every tensor with zeros instead of running
   * its initialiser: for a model whose weights are about to be loaded, so the
   * cost of a large orthogonal init is not paid for nothing.
   */
  constructor(private readonly initialise = true) {}

  /** Adds a tensor; tfjs names variables itself (its registry is global, so ours could clash across models). */
  add(name: string, init: Init, shape: number[], trainable: boolean): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter "${name}" added twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = this.initialise ? init() : new Float32Array(size);
    if (values.length !== size) throw new Error(`parameter "${name}": ${values.length} values for shape [${shape}]`);
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable));
    this.entries.set(name, { name, variable, trainable });
    return variable;
  }

  get(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no parameter "${name}"`);
    return e.variable;
  }

  list(): ParamEntry[] {
    return [...this.entries.values()];
  }

  /** Trainable variables whose name starts with one of `prefixes` (all when omitted). */
  trainable(prefixes?: readonly string[]): tf.Variable[] {
    return this.list()
      .filter((e) => e.trainable && (!prefixes || prefixes.some((p) => e.name.startsWith(p))))
      .map((e) => e.variable);
  }

  snapshot(): ParamSnapshot[] {
    return this.list().map((e) => ({
      name: e.name,
      shape: e.variable.shape,
      values: e.variable.dataSync() as Float32Array,
    }));
  }

  /** Overwrites every tensor; the snapshot must name exactly this store's tensors with the same shapes. */
  restore(snapshot: readonly ParamSnapshot[]): void {
    const problem = this.mismatch(snapshot);
    if (problem) throw new Error(`cannot restore parameters: ${problem}`);
    for (const s of snapshot) {
      const v = this.get(s.name);
      tf.tidy(() => v.assign(tf.tensor(s.values, [...s.shape], 'float32')));
    }
  }

  /** Why a snapshot does not fit this store, or null when it does. */
  mismatch(snapshot: readonly { name: string; shape: readonly number[] }[]): string | null {
    if (snapshot.length !== this.entries.size) return `${snapshot.length} tensors, expected ${this.entries.size}`;
    for (const s of snapshot) {
      const e = this.entries.get(s.name);
      if (!e) return `unknown tensor "${s.name}"`;
      if (e.variable.shape.length !== s.shape.length || e.variable.shape.some((d, i) => d !== s.shape[i])) {
        return `tensor "${s.name}" has shape [${s.shape}], expected [${e.variable.shape}]`;
      }
    }
    return null;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}
