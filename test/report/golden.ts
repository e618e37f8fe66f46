// Golden files: the expected output lives in test/report/golden/. Run the
// tests with UPDATE_GOLDEN=1 to rewrite them after an intended change, then
// read the diff before committing it.
//
// A golden file holds what a user reads, and nothing that changes for an
// unrelated reason (issue 12: one new default rewrote every golden file, because
// each embedded the study hash and float noise). Before the comparison, and in
// what UPDATE_GOLDEN writes, two incidental values are normalised:
//   - the study definition's sha256 (markdown "definition sha256 <12 hex>", the
//     CSV column definition_hash) becomes DEFINITION_HASH_PLACEHOLDER: any
//     setting of the study file (workers, a new default) changes it, without
//     changing a number. That the hash is printed, and is the study's, is
//     checked beside the golden comparison (render.test.ts);
//   - the CSV's AUROC-valued columns (mean, std, paper, diff) are rounded to
//     AUROC_DECIMALS: the CSV prints full precision, so the last binary digits
//     of a mean move when the order of a sum does. Full precision itself is
//     checked beside the golden comparison (render.test.ts).
// Markdown tables and SVG figures are compared exactly as they render: they
// print 3 decimals (pixels to 2), which is the precision a reader sees.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/report/golden in the source tree, also when the tests run compiled from dist/test/report. */
function goldenDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'test', 'report', 'golden');
}

export const GOLDEN_DIR = goldenDir();

export const DEFINITION_HASH_PLACEHOLDER = '<definition-sha256>';
/** Decimals kept of an AUROC (and its std, paper value and difference) in a golden CSV. */
export const AUROC_DECIMALS = 4;
const AUROC_COLUMNS = new Set(['mean', 'std', 'paper', 'diff']);

/** One CSV line split into its raw fields (RFC 4180 quotes kept as written). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

function roundAuroc(field: string): string {
  if (field === '') return field; // a missing cell stays empty, never 0
  const x = Number(field);
  if (!Number.isFinite(x)) return field;
  const r = Number(x.toFixed(AUROC_DECIMALS));
  return String(r === 0 ? 0 : r); // no "-0"
}

function normaliseCsv(text: string): string {
  const lines = text.split('\n');
  const header = csvFields(lines[0] ?? '');
  const hashAt = header.indexOf('definition_hash');
  const roundAt = header.flatMap((h, i) => (AUROC_COLUMNS.has(h) ? [i] : []));
  return [
    lines[0],
    ...lines.slice(1).map((line) => {
      if (line === '') return line;
      const f = csvFields(line);
      assert.equal(f.length, header.length, `CSV line with ${f.length} fields, header has ${header.length}: ${line}`);
      if (hashAt >= 0 && f[hashAt] !== '') f[hashAt] = DEFINITION_HASH_PLACEHOLDER;
      for (const i of roundAt) f[i] = roundAuroc(f[i]!);
      return f.join(',');
    }),
  ].join('\n');
}

/** The text as a golden file holds it (see the comment at the top). */
export function normaliseGolden(name: string, text: string): string {
  const out = name.endsWith('.csv') ? normaliseCsv(text) : text;
  return out.replace(/definition sha256 [0-9a-f]{12}\b/g, `definition sha256 ${DEFINITION_HASH_PLACEHOLDER}`);
}

/** Compares with golden/<name>, never writes it (for outputs that must equal another test's golden). */
export function assertMatchesGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  assert.ok(existsSync(file), `golden file ${name} is missing: run with UPDATE_GOLDEN=1 to create it`);
  assert.equal(
    normaliseGolden(name, actual),
    readFileSync(file, 'utf8'),
    `output differs from golden/${name} (UPDATE_GOLDEN=1 rewrites it)`,
  );
}

export function assertGolden(name: string, actual: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1') {
    const file = join(GOLDEN_DIR, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, normaliseGolden(name, actual));
    return;
  }
  assertMatchesGolden(name, actual);
}
