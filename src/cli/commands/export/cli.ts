// argv strings -> ExportOptions for `sweep export <study>` (src/cli/index.ts
// parses argv; this checks each value and names the flag at fault).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../../../errors/index.js';
import { Score } from '../../../study/schema.js';
import { requireDb, resolveTarget } from '../../target.js';
import { runExport, type ExportFormat } from './index.js';
import { HEAT_SCALES, type HeatScale, type Selection } from '../../../report/index.js';

export interface ExportCommandOptions {
  readonly target: string;
  readonly db?: string;
  readonly out?: string;
  readonly format?: string;
  readonly select?: string;
  readonly score?: string;
  readonly compare?: string;
  readonly 'no-figures'?: boolean;
  readonly 'heat-scale'?: string;
  readonly write: (line: string) => void;
  /** The CLI's stop: ends the worker building the report, or the writing between files. */
  readonly signal?: AbortSignal;
}

const FORMATS: readonly ExportFormat[] = ['md', 'csv', 'json'];
const SELECTIONS: readonly Selection[] = ['oracle', 'default', 'median'];

/**
 * The commit of the git checkout at `dir`, read from .git without running
 * git; null when it is not a checkout.
 */
export function gitCommit(dir = process.cwd()): string | null {
  try {
    const gitDir = join(dir, '.git');
    if (!existsSync(gitDir)) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return null;
    const loose = join(gitDir, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = join(gitDir, 'packed-refs');
    if (!existsSync(packed)) return null;
    const line = readFileSync(packed, 'utf8')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`));
    return line ? line.split(' ')[0]! : null;
  } catch {
    return null;
  }
}

export async function runExportCommand(o: ExportCommandOptions): Promise<void> {
  const target = resolveTarget(o.target, o.db);
  requireDb(target);
  const formats = (o.format ?? 'md,csv,json')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of formats)
    if (!FORMATS.includes(f as ExportFormat))
      throw new UserInputError(`unknown format "${f}" (use ${FORMATS.join(', ')})`, '--format');
  if (o.select !== undefined && !SELECTIONS.includes(o.select as Selection))
    throw new UserInputError(`unknown selection "${o.select}" (use ${SELECTIONS.join(', ')})`, '--select');
  const score = o.score === undefined ? undefined : Score.safeParse(o.score);
  if (score && !score.success)
    throw new UserInputError(`unknown score "${o.score}" (use ${Score.options.join(', ')})`, '--score');
  if (o.compare !== undefined && o.compare !== 'paper')
    throw new UserInputError(`unknown comparison "${o.compare}" (use paper)`, '--compare');
  const heatScale = o['heat-scale'];
  if (heatScale !== undefined && !HEAT_SCALES.includes(heatScale as HeatScale))
    throw new UserInputError(
      `unknown heatmap scale "${heatScale}" (use ${HEAT_SCALES.join(', ')}: the grid's own range, or AUROC fixed at 0.5-1)`,
      '--heat-scale',
    );
  const outDir = o.out ?? join('reports', target.name);
  const result = await runExport({
    db: target.dbPath,
    study: target.name,
    outDir,
    formats: formats as ExportFormat[],
    select: o.select as Selection | undefined,
    score: score?.data,
    compare: o.compare as 'paper' | undefined,
    figures: !o['no-figures'],
    heatScale: heatScale as HeatScale | undefined,
    commit: gitCommit(),
    onFile: o.write,
    signal: o.signal,
  });
  if (result.pngUnavailable) o.write('figures: SVG only (@resvg/resvg-js did not load, so no PNG)');
}
