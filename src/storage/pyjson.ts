// JSON as Python's `json.dumps` writes it and `json.loads` reads it, because
// Optuna reads (and writes) every value_json and distribution_json with them.
// Two differences from JSON.stringify/parse matter:
//  - Python writes NaN, Infinity and -Infinity as bare tokens; JSON.stringify
//    would silently turn a NaN loss into null, and JSON.parse rejects the
//    tokens in a file Optuna wrote.
//  - Python's default separators (", " and ": ") and ensure_ascii escaping:
//    not needed for correctness, but it keeps our rows byte-for-byte like
//    Optuna's for strings and structure (numbers may still differ in spelling,
//    e.g. 1e-07 vs 1e-7, which both parsers read alike).
import type { JsonValue } from './storage.js';

function encodeString(s: string): string {
  // ensure_ascii: every code unit above 0x7e as \uXXXX, lowercase hex as Python.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function encodeNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return JSON.stringify(n);
}

export function pyJsonDumps(value: JsonValue | readonly JsonValue[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return encodeNumber(value);
    case 'string':
      return encodeString(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map((v) => pyJsonDumps(v as JsonValue)).join(', ')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, JsonValue | undefined>)) {
    // As JSON.stringify: an undefined member is absent, not null.
    if (v === undefined) continue;
    parts.push(`${encodeString(k)}: ${pyJsonDumps(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

// A bare NaN/Infinity token outside strings; strings are matched first so that
// "NaN" inside a string is left alone.
const NON_FINITE = /"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g;
const SENTINEL = '\u0000pyjson:';

export function pyJsonLoads(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    // The slow path only runs for the rare value holding NaN/Infinity.
    if (!/NaN|Infinity/.test(text)) throw err;
    // The sentinel goes in escaped (a raw NUL is not valid inside JSON strings).
    const marked = text.replace(NON_FINITE, (m, token: string | undefined) => (token ? `"\\u0000pyjson:${token}"` : m));
    return JSON.parse(marked, (_k, v: unknown) => {
      if (typeof v === 'string' && v.startsWith(SENTINEL)) {
        const token = v.slice(SENTINEL.length);
        return token === 'NaN' ? NaN : token === 'Infinity' ? Infinity : -Infinity;
      }
      return v;
    }) as JsonValue;
  }
}
