// Reading a study file: parse, validate with zod, and turn every problem into
// one line that names the field path, what was found and what to write.
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { StudyFileError, UserInputError } from '../errors/index.js';
import { DATASETS } from './datasets.js';
import { Study } from './schema.js';
import { canonicalJson } from '../json.js';

export interface LoadedStudy {
  readonly file: string;
  readonly study: Study;
  /** sha256 of the canonical parsed study: names this definition in provenance. */
  readonly hash: string;
}

export function loadStudyFile(file: string): LoadedStudy {
  let text: string;
  try {
    // Before reading: a FIFO would block the read for ever, a device never end it.
    const st = statSync(file);
    if (!st.isFile() && !st.isDirectory())
      throw new UserInputError(
        'is not a regular file (a FIFO, socket or device); a study is a JSON file, e.g. studies/quick.json',
        file,
      );
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a study file' : String(err);
    throw new UserInputError(`${why} (a study is a JSON file, e.g. studies/quick.json)`, file);
  }
  return parseStudyText(text, file);
}

export function parseStudyText(text: string, file: string): LoadedStudy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StudyFileError(file, [`not valid JSON: ${jsonErrorWhere(text, err as Error)}`]);
  }
  // Before zod: what JSON.parse accepts but no study can hold, and what would
  // make the messages below fail (a value nested 100k deep overflows the stack
  // of any recursive walk, JSON.stringify included).
  const shape = checkJsonShape(raw);
  if (shape.length > 0) throw new StudyFileError(file, shape);
  const parsed = Study.safeParse(raw);
  if (!parsed.success) throw new StudyFileError(file, formatIssues(parsed.error.issues, raw));
  const study = parsed.data;
  const semantic = checkSemantics(study);
  if (semantic.length > 0) throw new StudyFileError(file, semantic);
  return { file, study, hash: studyHash(study) };
}

export function studyHash(study: Study): string {
  return createHash('sha256').update(canonicalJson(study)).digest('hex');
}

/** Rules zod's shapes cannot say: class ranges per data set and so on. */
function checkSemantics(study: Study): string[] {
  const out: string[] = [];
  const n = DATASETS[study.dataset.name].normalClasses;
  study.grid.normalClass.forEach((c, i) => {
    if (c >= n)
      out.push(`grid.normalClass[${i}]: class ${c} does not exist in ${study.dataset.name} (classes 0..${n - 1})`);
  });
  if (study.training.batchSize < 2)
    out.push('training.batchSize: must be at least 2 (batch normalisation needs two samples)');
  return out;
}

/** Deepest nesting a study file may have (a study needs 3 levels: grid.model[0]). */
export const MAX_JSON_DEPTH = 32;
/** At most this many problems of the pre-check are listed. */
const MAX_SHAPE_ISSUES = 10;

/**
 * Numbers JSON.parse turned into Infinity (literals beyond the largest double,
 * 1e400) and nesting deeper than MAX_JSON_DEPTH, each named by its path. An
 * explicit stack, not recursion, so depth itself cannot overflow it.
 */
function checkJsonShape(root: unknown): string[] {
  const out: string[] = [];
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && out.length < MAX_SHAPE_ISSUES) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      out.push(
        `${pathString(path)}: number out of range (beyond the largest double, about 1.8e308); write a smaller number`,
      );
    } else if (value !== null && typeof value === 'object') {
      if (path.length >= MAX_JSON_DEPTH) {
        out.push(
          `${pathString(path)}: nested deeper than ${MAX_JSON_DEPTH} levels; a study file needs 3 (e.g. grid.model[0]), remove the extra nesting`,
        );
        continue;
      }
      const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
      // Pushed in reverse so that problems come out in file order.
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ value: entries[i]![1], path: [...path, entries[i]![0]] });
    }
  }
  return out;
}

function jsonErrorWhere(text: string, err: Error): string {
  // Node 20's V8 gives "at position N" for some errors only ("Unexpected token"
  // quotes a snippet instead), so the position is found by jsonErrorOffset and
  // turned into line:column, which editors understand.
  const pos = jsonErrorOffset(text);
  // V8 quotes the text around the error: a huge line must not become a huge message.
  const what = shorten(err.message.replace(/ in JSON at position \d+.*$/s, ''), 120);
  if (pos === undefined) return what;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  // NaN and Infinity are JavaScript, not JSON: say so rather than "unexpected token".
  const literal = /^[-+]?(NaN|Infinity)/.exec(text.slice(pos, pos + 9));
  const hint = literal ? `; ${literal[1]} is not a JSON number, write a finite number` : '';
  return `${what} at line ${line}, column ${col}${hint}`;
}

/**
 * Where text stops being JSON (RFC 8259), or undefined when it is JSON. A
 * loop with an explicit stack: nesting depth costs memory, not call stack.
 */
export function jsonErrorOffset(t: string): number | undefined {
  const scalar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const stack: ('{' | '[')[] = [];
  let i = 0;
  let expect: 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'after' = 'value';
  const skipSpace = () => {
    while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  };
  /** At a quote: past the string, or false where it breaks (a control character, the end). */
  const string = (): boolean => {
    for (i++; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c === 92) {
        i++; // the escaped character: one of the few JSON allows
        if (!/["\\/bfnrt]|u[0-9a-fA-F]{4}/y.test(t.slice(i, i + 5))) return false;
        if (t[i] === 'u') i += 4;
      }
    }
    return false;
  };
  for (;;) {
    skipSpace();
    const c = t[i];
    if (expect === 'after') {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < t.length ? i : undefined;
      if (c === ',') expect = top === '{' ? 'key' : 'value';
      else if (c === (top === '{' ? '}' : ']')) stack.pop();
      else return i;
      i++;
    } else if (expect === 'key' || expect === 'keyOrEnd') {
      if (expect === 'keyOrEnd' && c === '}') {
        i++;
        stack.pop();
        expect = 'after';
        continue;
      }
      if (c !== '"' || !string()) return i;
      skipSpace();
      if (t[i] !== ':') return i;
      i++;
      expect = 'value';
    } else if (expect === 'valueOrEnd' && c === ']') {
      i++;
      stack.pop();
      expect = 'after';
    } else if (c === '{' || c === '[') {
      i++;
      stack.push(c);
      expect = c === '{' ? 'keyOrEnd' : 'valueOrEnd';
    } else if (c === '"') {
      if (!string()) return i;
      expect = 'after';
    } else {
      scalar.lastIndex = i;
      if (!scalar.test(t)) return i;
      i = scalar.lastIndex;
      expect = 'after';
    }
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    // A key that is not a plain name ("", "a b", a 1 MB key) is quoted, and shortened.
    else if (!/^[A-Za-z_$][\w.$-]*$/.test(String(p)) || String(p).length > 64)
      s += `[${JSON.stringify(shorten(String(p), 40))}]`;
    else s += s === '' ? String(p) : `.${String(p)}`;
  }
  return s === '' ? '(top level)' : s;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  return shorten(JSON.stringify(v), 40);
}

/** At most `max` characters: a found value or a key is quoted in a message, never pasted whole. */
function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  return issues.map((issue) => {
    const where = pathString(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(issue.path);
        return issue.keys
          .map((k) => {
            // A long key is no typo of a field name: no suggestion (and pathString quotes only its start).
            const near = k.length <= 64 ? closest(k, known) : undefined;
            const at = pathString([...issue.path, k]);
            return `${at}: unknown field${near ? ` (did you mean "${near}"?)` : ''}; allowed: ${known.join(', ')}`;
          })
          .join('\n  - ');
      }
      case 'invalid_value':
        return `${where}: found ${describe(valueAt(raw, issue.path))}, expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      case 'invalid_type': {
        const found = valueAt(raw, issue.path);
        if (found === undefined) return `${where}: required field is missing (expected ${issue.expected})`;
        return `${where}: expected ${issue.expected}, found ${describe(found)}`;
      }
      default: {
        const found = valueAt(raw, issue.path);
        // A string over its length limit is counted, not quoted.
        const what =
          issue.code === 'too_big' && typeof found === 'string'
            ? `a string of ${found.length} characters`
            : describe(found);
        return `${where}: ${issue.message}${found !== undefined ? ` (found ${what})` : ''}`;
      }
    }
  });
}

function knownKeys(path: readonly PropertyKey[]): string[] {
  // Walk the schema along the path to list the fields allowed there.
  let schema: unknown = Study;
  for (const p of path) {
    const shape = objectShape(schema);
    if (!shape || typeof p !== 'string') return [];
    schema = shape[p];
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown> } } | undefined;
  // Unwrap defaults/optionals to reach the object.
  for (let i = 0; i < 5 && s?.def && s.def.type !== 'object'; i++) s = s.def.innerType as typeof s;
  return s?.def?.type === 'object' ? s.def.shape : undefined;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
