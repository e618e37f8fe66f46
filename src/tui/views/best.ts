// The best-so-far region: the report's tables in the paper's layout, with what the marks mean.
import type { Cell, ReportModel, ReportTable } from '../../report/index.js';
import { cellMarks, columnHeader, fmt3 as reportFmt3, visibleColumns } from '../../report/format.js';
import type { Glyphs } from '../caps.js';
import type { Segment } from '../theme.js';
import { visibleCount } from '../layout.js';
import { layoutTable, type TableCell, type TableColumnDef } from '../table.js';
import { type Lines, clipLine, join } from './lines.js';

export const asciiMarks = (m: string, g: Glyphs) => (g.ellipsis === '…' ? m : m.replace(/†/g, '*').replace(/‡/g, '+'));

/** A report cell as the tables print it: three decimals (as the export), then its marks. */
export function cellText(cell: Cell, g: Glyphs): string {
  if (cell.mean === null) return '-';
  return reportFmt3(cell.mean) + asciiMarks(cellMarks(cell), g);
}

export function bestLines(
  report: ReportModel | null,
  reportError: string | null,
  tableIndex: number,
  width: number,
  height: number,
  g: Glyphs,
): Lines {
  if (height <= 0) return [];
  if (!report)
    return [
      clipLine(
        [
          {
            text: reportError ?? 'no finished trial yet: the table fills in as trials finish',
            tone: reportError ? 'error' : 'dim',
          },
        ],
        width,
        g,
      ),
    ];
  const tables = report.tables;
  if (tables.length === 0)
    return [clipLine([{ text: 'no table yet: no finished trial has a value', tone: 'dim' }], width, g)];
  const k = ((tableIndex % tables.length) + tables.length) % tables.length;
  const table = tables[k]!;
  const out: Lines = [];
  const title = join(
    [
      ...(table.paperTable ? [{ text: `${table.paperTable} (ours)`, tone: 'title' as const }] : []),
      { text: table.title, tone: table.paperTable ? ('plain' as const) : ('title' as const) },
      ...(tables.length > 1 ? [{ text: `table ${k + 1}/${tables.length}`, tone: 'dim' as const }] : []),
    ],
    g,
  );
  out.push(clipLine(title, width, g));
  out.push(
    clipLine(
      [
        {
          text: `selection ${report.selection.select}, score ${report.selection.score}. ${report.selection.caption}`,
          tone: 'dim',
        },
      ],
      width,
      g,
    ),
  );
  out.push(...tableLines(table, width, height - out.length, g));
  return out.slice(0, height);
}

export function tableLines(table: ReportTable, width: number, height: number, g: Glyphs): Lines {
  if (height <= 0) return [];
  const cols = visibleColumns(table);
  const columns: TableColumnDef[] = [
    { key: 'label', header: 'model', min: 8, max: 34, priority: 0 },
    ...cols.map((j, i): TableColumnDef => {
      const col = table.columns[j]!;
      return {
        key: `c${j}`,
        header: columnHeader(table, col),
        min: 5,
        max: col.kind === 'avg' ? 8 : 10,
        // Avg. stays longest; class columns go from the right.
        priority: col.kind === 'avg' ? 0 : 1 + i,
        align: 'right',
        overflow: 'clip',
      };
    }),
  ];
  const toRow = (r: ReportTable['rows'][number]) => {
    const row: Record<string, TableCell> = { label: { text: r.label } };
    for (const j of cols) {
      const cell = r.cells[j]!;
      row[`c${j}`] = { text: cellText(cell, g), tone: cell.best ? 'best' : cell.mean === null ? 'dim' : 'plain' };
    }
    return row;
  };
  const all = layoutTable(columns, table.rows.map(toRow), width, g.ellipsis);
  const dropped = all.dropped.filter((k) => k !== 'label').length;
  const legend = marksLegend(table.rows.flatMap((r) => cols.map((j) => cellMarks(r.cells[j]!))).join(''), g);
  const notes = (dropped > 0 ? 1 : 0) + (legend ? 1 : 0);
  const { shown, hidden } = visibleCount(table.rows.length, height - 1 - notes);
  // Widths come from all rows, so columns do not jump when the height changes.
  const lines = all.lines.slice(0, 1 + shown);
  if (hidden > 0) lines.push([{ text: `+${hidden} more rows (a taller terminal shows them)`, tone: 'dim' }]);
  if (legend) lines.push(legend);
  if (dropped > 0) lines.push([{ text: `${dropped} column(s) hidden: widen the terminal to see them`, tone: 'dim' }]);
  return lines.slice(0, height).map((l) => clipLine(l, width, g));
}

/** What the marks in the table mean (as the export's footnotes), for the marks it shows; null when none. */
export function marksLegend(marks: string, g: Glyphs): Segment[] | null {
  const parts: string[] = [];
  if (marks.includes('†')) parts.push(`${asciiMarks('†', g)} points/seeds unfinished (may change)`);
  if (marks.includes('‡')) parts.push(`${asciiMarks('‡', g)} fewer classes than the table`);
  return parts.length ? [{ text: parts.join('  '), tone: 'dim' }] : null;
}
