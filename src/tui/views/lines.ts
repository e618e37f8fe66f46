// Lines of segments, shared by every region: the type, and cutting a line to a width.
import type { Glyphs } from '../caps.js';
import type { Segment } from '../theme.js';
import { cellWidth, truncate } from '../layout.js';

export type Lines = Segment[][];

/** Cuts a line of segments to `width` cells (the last segment that overflows gets the ellipsis). */
export function clipLine(segments: readonly Segment[], width: number, glyphs: Glyphs): Segment[] {
  const out: Segment[] = [];
  let left = width;
  for (const s of segments) {
    if (left <= 0) break;
    const w = cellWidth(s.text);
    if (w <= left) {
      out.push(s);
      left -= w;
    } else {
      out.push({ ...s, text: truncate(s.text, left, glyphs.ellipsis) });
      left = 0;
    }
  }
  return out;
}

export const sepOf = (g: Glyphs): Segment => ({ text: ` ${g.dot} `, tone: 'dim' });

export function join(parts: readonly (Segment | Segment[])[], g: Glyphs): Segment[] {
  const out: Segment[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(sepOf(g));
    if (Array.isArray(p)) out.push(...p);
    else out.push(p);
  });
  return out;
}
