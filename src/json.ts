// JSON as values: the type of anything stored as JSON, and the canonical
// text that hashes it. A leaf module (imports nothing of ours) so that the
// study, the grid, trial attributes and storage can all use it without
// importing each other.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Canonical JSON: keys sorted, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
