// GitHub-flavoured markdown of one or more report models of the same study
// (one per selection). Each table kind is printed once per selection, one
// after the other, so the oracle numbers never stand without the blind ones;
// a last table shows the gap between selections.
import { cellMarks, columnHeader, fmt3, fmtDiff, provenanceLine, visibleColumns } from './format.js';
import type { Cell, ReportModel, ReportTable, Selection } from './types.js';

const SELECTION_NAME: Record<Selection, string> = {
  oracle: 'oracle selection (best grid point on test AUROC, as the paper)',
  default: 'default point (no test labels)',
  median: 'median over the grid (no test labels)',
};

/** A cell's text: "**0.780** ± 0.012†", "—", with the paper's value when compared. */
export function markdownCell(cell: Cell): string {
  let s: string;
  if (cell.mean === null) s = '—';
  else {
    const m = fmt3(cell.mean);
    s = cell.best ? `**${m}**` : m;
    if (cell.std !== null) s += ` ± ${fmt3(cell.std)}`;
    // Fewer seeds than the study has: say how many, a mean of one seed is not a mean of three.
    if (cell.seedsExpected > 1 && cell.n < cell.seedsExpected) s += ` (${cell.n}/${cell.seedsExpected} seeds)`;
    s += cellMarks(cell);
  }
  if (cell.paper !== undefined)
    s += ` (paper ${fmt3(cell.paper)}${cell.diff !== null && cell.diff !== undefined ? `; Δ ${fmtDiff(cell.diff)}` : ''})`;
  return s;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function markdownTable(model: ReportModel, table: ReportTable): string {
  const cols = visibleColumns(table);
  const head = ['Model', ...cols.map((j) => columnHeader(table, table.columns[j]!))];
  const lines = [
    `| ${head.map(escapeCell).join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`,
  ];
  const used = { missing: false, partial: false, fewerClasses: false };
  for (const r of table.rows) {
    const cells = cols.map((j) => r.cells[j]!);
    for (const c of cells) {
      if (c.mean === null) used.missing = true;
      const marks = cellMarks(c);
      if (marks.includes('†')) used.partial = true;
      if (marks.includes('‡')) used.fewerClasses = true;
    }
    lines.push(`| ${[r.label, ...cells.map(markdownCell)].map(escapeCell).join(' | ')} |`);
  }
  const foot: string[] = [];
  if (used.missing) foot.push('— no finished trial for this cell (yet): left empty, never 0.');
  if (used.partial) foot.push('† not every grid point or seed of this cell has finished: the value may still change.');
  if (used.fewerClasses) foot.push('‡ average over fewer classes than the table has.');
  const out = [lines.join('\n')];
  if (foot.length) out.push(foot.join('  \n'));
  for (const n of table.notes) out.push(`Note: ${n}`);
  out.push(`Provenance: ${provenanceLine(model, table)}`);
  return out.join('\n\n');
}

function tableTitle(model: ReportModel, table: ReportTable): string {
  const ref = table.paperTable ? ` (cf. paper ${table.paperTable})` : '';
  return `${table.title}${ref}: ${SELECTION_NAME[model.selection.select]}`;
}

/** The gap between selections, per row, on the average column of each per-class and gate table. */
function gapTable(models: readonly ReportModel[]): string | null {
  const oracle = models.find((m) => m.selection.select === 'oracle');
  const blind = models.filter((m) => m.selection.select !== 'oracle');
  if (!oracle || blind.length === 0) return null;
  const head = [
    'Table',
    'Model',
    'oracle',
    ...blind.flatMap((m) => [m.selection.select, `oracle − ${m.selection.select}`]),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ':---' : '---:')).join('|')}|`];
  for (const t of oracle.tables) {
    if (t.kind === 'contamination') continue;
    const avgCol = t.columns.findIndex((c) => c.kind === 'avg');
    if (avgCol < 0) continue;
    for (const r of t.rows) {
      const o = r.cells[avgCol]!;
      const cells = [t.paperTable ?? t.id, r.label, o.mean === null ? '—' : fmt3(o.mean)];
      for (const m of blind) {
        const c = m.tables.find((x) => x.id === t.id)?.rows.find((x) => x.row.id === r.row.id)?.cells[avgCol];
        const v = c?.mean ?? null;
        cells.push(v === null ? '—' : fmt3(v), v === null || o.mean === null ? '—' : fmtDiff(o.mean - v));
      }
      lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
    }
  }
  return lines.length > 2 ? lines.join('\n') : null;
}

/** The whole document. `models` are the selections to print, in order (oracle first reads best). */
export function renderMarkdown(models: readonly ReportModel[]): string {
  if (models.length === 0) throw new Error('renderMarkdown needs at least one report model');
  const first = models[0]!;
  const out: string[] = [`# ${first.study.name}: AUROC on ${first.study.datasetTitle}`];
  if (first.study.description) out.push(first.study.description);
  const p = first.progress;
  out.push(
    `Progress: ${p.pointsComplete} of ${p.pointsExpected} grid points finished${p.pointsPruned ? `, ${p.pointsPruned} pruned` : ''}; trials ${
      Object.entries(p.states)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ') || 'none'
    }.`,
  );
  for (const w of first.warnings) out.push(`Warning: ${w}`);
  const ids = [...new Set(models.flatMap((m) => m.tables.map((t) => t.id)))];
  for (const id of ids) {
    for (const m of models) {
      const t = m.tables.find((x) => x.id === id);
      if (!t) continue;
      out.push(`## ${tableTitle(m, t)}`);
      out.push(`_${m.selection.caption}_`);
      out.push(markdownTable(m, t));
    }
  }
  const gap = gapTable(models);
  if (gap) {
    out.push('## Selection gap: average AUROC by how the grid point was chosen');
    out.push(
      '_The oracle picks each point on the test AUROC it reports; the others do not look at test labels. The difference is what the oracle choice adds._',
    );
    out.push(gap);
  }
  if (first.tables.length === 0) out.push('No table yet: no grid point has a finished trial.');
  return `${out.join('\n\n')}\n`;
}
