// Pure layout decisions: how text fits a width, which columns survive a narrow
// terminal, how a series becomes a sparkline and a value a heat level. The
// components only place what these return, so every decision is unit-tested
// without a terminal.
import type { Glyphs } from './caps.js';

/**
 * Terminal cells a string takes. Everything this UI prints (labels, numbers,
 * the glyph sets) is one cell per code point; wide characters could only come
 * from error messages, and Ink's own truncation catches those.
 */
export function cellWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Cuts `s` to at most `width` cells, ending with the ellipsis when something was cut. */
export function truncate(s: string, width: number, ellipsis: string): string {
  if (width <= 0) return '';
  const chars = Array.from(s);
  if (chars.length <= width) return s;
  const e = Array.from(ellipsis);
  if (e.length >= width) return chars.slice(0, width).join('');
  return chars.slice(0, width - e.length).join('') + ellipsis;
}

/** Exactly `width` cells: truncated, then padded (numbers align right). */
export function fit(s: string, width: number, align: 'left' | 'right', ellipsis: string): string {
  const t = truncate(s, width, ellipsis);
  const pad = ' '.repeat(Math.max(0, width - cellWidth(t)));
  return align === 'right' ? pad + t : t + pad;
}

/** The first line of a (possibly multi-line) message, tabs and runs of spaces collapsed. */
export function firstLine(s: string): string {
  const line = s.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return line.replace(/\s+/g, ' ').trim();
}

export interface ColumnSpec {
  readonly key: string;
  /** Never narrower than this (a column that cannot get it is dropped). */
  readonly min: number;
  /** What it would like; extra width beyond min goes to columns by priority up to this. */
  readonly max: number;
  /** Lower numbers are kept longer and widened first. */
  readonly priority: number;
  /**
   * Shown only with room to spare: dropped before it leaves a column that is
   * not extra narrower than it wants (at 80 columns the model and class are
   * read whole, and the loss terms give way).
   */
  readonly extra?: boolean;
}

export interface FittedColumn {
  readonly key: string;
  readonly width: number;
}

/**
 * Chooses the columns that fit `width` (with `gap` cells between them) and
 * their widths: columns are dropped from the least important until the rest
 * fit at their minimum, then the spare cells widen columns, most important
 * first, up to their maximum; last, extra columns go (least important first)
 * while another column is cut short. The result keeps the input order and
 * never exceeds `width`, so a row never wraps.
 */
export function fitColumns(columns: readonly ColumnSpec[], width: number, gap = 1): FittedColumn[] {
  let cols = columns;
  for (;;) {
    const fitted = fitAtPriority(cols, width, gap);
    const byKey = new Map(cols.map((c) => [c.key, c]));
    const short = fitted.some((f) => !byKey.get(f.key)!.extra && f.width < byKey.get(f.key)!.max);
    const extras = fitted.map((f) => byKey.get(f.key)!).filter((c) => c.extra);
    if (!short || extras.length === 0) return fitted;
    const drop = extras.reduce((a, b) => (b.priority >= a.priority ? b : a));
    cols = cols.filter((c) => c !== drop);
  }
}

function fitAtPriority(columns: readonly ColumnSpec[], width: number, gap: number): FittedColumn[] {
  const byPriority = columns.map((c, i) => ({ c, i })).sort((a, b) => a.c.priority - b.c.priority || a.i - b.i);
  const kept: { c: ColumnSpec; i: number }[] = [];
  let used = 0;
  for (const entry of byPriority) {
    const need = entry.c.min + (kept.length > 0 ? gap : 0);
    if (used + need > width) continue;
    kept.push(entry);
    used += need;
  }
  const widths = new Map<number, number>(kept.map((k) => [k.i, k.c.min]));
  let spare = width - used;
  for (const k of kept) {
    if (spare <= 0) break;
    const grow = Math.min(spare, Math.max(0, k.c.max - k.c.min));
    widths.set(k.i, k.c.min + grow);
    spare -= grow;
  }
  return kept.sort((a, b) => a.i - b.i).map((k) => ({ key: k.c.key, width: widths.get(k.i)! }));
}

/**
 * A sparkline of the last `width` values, scaled between the series' own
 * minimum and maximum (AUROC moves in the third decimal; a fixed 0..1 scale
 * would draw a flat line). A flat series sits in the middle.
 */
export function sparkline(values: readonly (number | null)[], width: number, glyphs: Glyphs): string {
  const levels = glyphs.spark;
  const tail = values.slice(Math.max(0, values.length - width));
  const finite = tail.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return tail
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (hi === lo) return levels[Math.floor((levels.length - 1) / 2)]!;
      const k = Math.round(((v - lo) / (hi - lo)) * (levels.length - 1));
      return levels[k]!;
    })
    .join('');
}

/** A bar of exactly `width` cells for a fraction 0..1 (Unicode gets eighths of a cell). */
export function progressBar(fraction: number, width: number, glyphs: Glyphs): string {
  if (width <= 0) return '';
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = glyphs.barEighths.length + 1;
  const total = Math.floor(f * width * eighths + 1e-9);
  const full = Math.floor(total / eighths);
  const part = total % eighths;
  const partial = full < width && part > 0 ? glyphs.barEighths[part - 1]! : '';
  const empty = width - full - (partial ? 1 : 0);
  return glyphs.barFull.repeat(full) + partial + glyphs.barEmpty.repeat(empty);
}

/** Heat levels 0 (lowest of the grid) .. levels-1 (highest); null for a missing cell. */
export function heatLevel(value: number | null, lo: number, hi: number, levels: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (!(hi > lo)) return levels - 1;
  const k = Math.floor(((value - lo) / (hi - lo)) * levels);
  return Math.min(levels - 1, Math.max(0, k));
}

/**
 * How many of `n` items a list can show in `rows` lines, keeping one line for
 * "+k more" when not all fit.
 */
export function visibleCount(n: number, rows: number): { shown: number; hidden: number } {
  if (rows <= 0) return { shown: 0, hidden: n };
  if (n <= rows) return { shown: n, hidden: 0 };
  const shown = Math.max(0, rows - 1);
  return { shown, hidden: n - shown };
}
