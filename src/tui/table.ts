// Tables as lines of segments: columns sized to their content, fitted to the
// width (dropping the least important), every cell cut or padded to its
// column. Pure: the components only print the lines.
import type { Segment, Tone } from './theme.js';
import { cellWidth, fit, fitColumns } from './layout.js';

export interface TableCell {
  readonly text: string;
  readonly tone?: Tone;
  readonly heat?: number | null;
}

export interface TableColumnDef {
  readonly key: string;
  readonly header: string;
  readonly min: number;
  /** Upper bound; the column takes less when its content is shorter. */
  readonly max: number;
  readonly priority: number;
  /** Dropped before it narrows a column that is not extra (layout.ts). */
  readonly extra?: boolean;
  readonly align?: 'left' | 'right';
  /** 'clip' cuts without an ellipsis: numbers with trailing marks lose marks, never digits. */
  readonly overflow?: 'ellipsis' | 'clip';
}

export interface LaidOutTable {
  /** Header line first. */
  readonly lines: Segment[][];
  /** Keys of the columns that did not fit. */
  readonly dropped: readonly string[];
}

export function layoutTable(
  columns: readonly TableColumnDef[],
  rows: readonly Readonly<Record<string, TableCell>>[],
  width: number,
  ellipsis: string,
  gap = 1,
): LaidOutTable {
  const specs = columns.map((c) => {
    let want = cellWidth(c.header);
    for (const r of rows) want = Math.max(want, cellWidth(r[c.key]?.text ?? ''));
    const max = Math.max(c.min, Math.min(c.max, want));
    return { key: c.key, min: Math.min(c.min, max), max, priority: c.priority, extra: c.extra };
  });
  const fitted = fitColumns(specs, width, gap);
  const byKey = new Map(columns.map((c) => [c.key, c]));
  const kept = new Set(fitted.map((f) => f.key));
  const sep: Segment = { text: ' '.repeat(gap) };
  const line = (cell: (key: string) => TableCell, head: boolean): Segment[] => {
    const out: Segment[] = [];
    fitted.forEach((f, i) => {
      if (i > 0) out.push(sep);
      const def = byKey.get(f.key)!;
      const c = cell(f.key);
      const text = def.overflow === 'clip' && !head ? Array.from(c.text).slice(0, f.width).join('') : c.text;
      out.push({ text: fit(text, f.width, def.align ?? 'left', ellipsis), tone: head ? 'head' : c.tone, heat: c.heat });
    });
    return out;
  };
  const lines = [
    line((k) => ({ text: byKey.get(k)!.header }), true),
    ...rows.map((r) => line((k) => r[k] ?? { text: '' }, false)),
  ];
  return { lines, dropped: columns.filter((c) => !kept.has(c.key)).map((c) => c.key) };
}

/** Joins segments' text: what the line shows without styles (tests, plain output). */
export function plainText(segments: readonly Segment[]): string {
  return segments.map((s) => s.text).join('');
}
