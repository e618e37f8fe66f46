// Snapshots handed to callers are immutable all the way down, so no caller can
// change what another caller (or the report) sees, by accident or otherwise.
import type { JsonValue } from './storage.js';

export function deepFreeze<T extends JsonValue>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v as JsonValue);
    Object.freeze(value);
  }
  return value;
}

/**
 * Object.freeze does not stop Map#set, so the intermediate values get a Map
 * whose mutators throw; it is still a real Map for iteration and instanceof.
 */
export class FrozenMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]>) {
    // Filled through Map's own set: the override below is for callers only.
    super();
    for (const [k, v] of entries) super.set(k, v);
    Object.freeze(this);
  }

  override set(_key: K, _value: V): this {
    throw new TypeError('a trial snapshot is read-only (intermediate values cannot be set on it)');
  }

  override delete(_key: K): boolean {
    throw new TypeError('a trial snapshot is read-only (intermediate values cannot be deleted from it)');
  }

  override clear(): void {
    throw new TypeError('a trial snapshot is read-only (intermediate values cannot be cleared)');
  }
}
