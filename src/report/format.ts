// Number and provenance formatting shared by the text renderers (markdown and
// the terminal UI), so a value reads the same everywhere.
import { ignoredLine } from '../grid/membership.js';
import type { Cell, ReportModel, ReportTable, TableColumn } from './types.js';
import { round3 } from './stats.js';

/** Three decimals, as the paper prints AUROC. */
export function fmt3(x: number): string {
  const r = round3(x);
  return (Object.is(r, -0) ? 0 : r).toFixed(3);
}

/** A signed difference, "+0.012" / "-0.068"; a difference that rounds to zero prints "±0.000". */
export function fmtDiff(x: number): string {
  const r = round3(x);
  if (r === 0) return '±0.000';
  return `${r > 0 ? '+' : '-'}${Math.abs(r).toFixed(3)}`;
}

/** "10%" for 0.1. */
export function fmtPercent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** Markers a cell needs: † unfinished grid points or seeds, ‡ average over fewer classes than the table has. */
export function cellMarks(cell: Cell): string {
  if (cell.mean === null) return '';
  let m = '';
  if (!cell.complete) m += '†';
  if (cell.classesExpected !== undefined && cell.classesUsed! < cell.classesExpected) m += '‡';
  return m;
}

/**
 * Columns a renderer shows: a table with a single class column hides its
 * Avg. (it would repeat the class, as the paper's Table III has one column).
 */
export function visibleColumns(table: ReportTable): number[] {
  const classCols = table.columns.filter((c) => c.kind === 'class').length;
  return table.columns.map((_, j) => j).filter((j) => !(classCols === 1 && table.columns[j]!.kind === 'avg'));
}

export function columnHeader(table: ReportTable, col: TableColumn): string {
  const classCols = table.columns.filter((c) => c.kind === 'class').length;
  return classCols === 1 && col.kind === 'class' ? `AUROC (${col.label})` : col.label;
}

/** The provenance line printed under every table. */
export function provenanceLine(model: ReportModel, table: ReportTable): string {
  const p = model.provenance;
  const t = table.provenance;
  const parts = [
    `study ${p.study}`,
    `definition sha256 ${p.definitionHash ? p.definitionHash.slice(0, 12) : 'unknown'}`,
    `trials used ${t.trialsUsed}, grid points missing ${t.pointsMissing}, failed trials ${t.trialsFailed}${
      t.pointsPruned ? `, grid points pruned ${t.pointsPruned}` : ''
    }`,
    `seeds ${t.seeds.length ? t.seeds.join(', ') : 'none'}`,
    `contamination ${t.contaminations.map(fmtPercent).join(', ')}`,
    `backend ${p.backends.length ? p.backends.join(', ') : 'unknown'}`,
    `epochs pretrain ${p.epochs.pretrain ?? '?'} + joint ${p.epochs.joint ?? '?'}${
      p.epochs.observedJoint !== null && p.epochs.observedJoint !== p.epochs.joint
        ? ` (histories reach ${p.epochs.observedJoint})`
        : ''
    }`,
    // Only when there is something to say: most studies have none of these.
    ...(ignoredLine(p.ignored.foreign, p.ignored.removed) ? [ignoredLine(p.ignored.foreign, p.ignored.removed)!] : []),
    ...(p.severalComplete > 0
      ? [`${p.severalComplete} point(s) with several COMPLETE trials: the newest of ours used`]
      : []),
    ...(p.definitions > 1
      ? [`definition changed ${p.definitions - 1} time(s) (study attribute definition_history)`]
      : []),
    `iae-sweep ${p.version ?? 'unknown'}${p.commit ? ` @ ${p.commit.slice(0, 12)}` : ''}`,
    ...(p.generatedAt ? [p.generatedAt] : []),
  ];
  return parts.join(' · ');
}
