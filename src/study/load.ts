// Reading a study file: parse, validate with zod, and turn every problem into
// one line that names the field path, what was found and what to write.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { StudyFileError, UserInputError } from '../errors/index.js';
import { Study } from './schema.js';
import { canonicalJson } from '../grid/expand.js';

export interface LoadedStudy {
  readonly file: string;
  readonly study: Study;
  /** sha256 of the canonical parsed study: names this definition in provenance. */
  readonly hash: string;
}

export function loadStudyFile(file: string): LoadedStudy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a study file' : String(err);
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
  const classes: Record<string, number> = { 'fashion-mnist': 10, cifar10: 10, mvtec: 15, synthetic: 10, wtbi: 1 };
  const n = classes[study.dataset.name];
  study.grid.normalClass.forEach((c, i) => {
    if (n !== undefined && c >= n)
      out.push(`grid.normalClass[${i}]: class ${c} does not exist in ${study.dataset.name} (classes 0..${n - 1})`);
  });
  if (study.training.batchSize < 2)
    out.push('training.batchSize: must be at least 2 (batch normalisation needs two samples)');
  return out;
}

function jsonErrorWhere(text: string, err: Error): string {
  // V8 says "... in JSON at position N": turn it into line:column, which editors understand.
  const m = /position (\d+)/.exec(err.message);
  if (!m) return err.message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${err.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${col}`;
}

function pathString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
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
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  return issues.map((issue) => {
    const where = pathString(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(issue.path);
        return issue.keys
          .map((k) => {
            const near = closest(k, known);
            const at = issue.path.length ? `${pathString(issue.path)}.${k}` : k;
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
      default:
        return `${where}: ${issue.message}${valueAt(raw, issue.path) !== undefined ? ` (found ${describe(valueAt(raw, issue.path))})` : ''}`;
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
