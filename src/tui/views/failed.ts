// The failed-trials region: one line per failed trial, scrolled.
import type { Glyphs } from '../caps.js';
import type { FailedTrial, SweepSnapshot } from '../model.js';
import { visibleCount } from '../layout.js';
import { type Lines, clipLine } from './lines.js';
import { classText, labelOf, tunedText } from './words.js';

export function failedLines(
  failed: readonly FailedTrial[],
  offset: number,
  width: number,
  height: number,
  g: Glyphs,
  dataset: SweepSnapshot['dataset'],
): Lines {
  if (height <= 0) return [];
  if (failed.length === 0) return [[{ text: 'no failed trial', tone: 'dim' }]];
  const newest = [...failed].reverse();
  const start = Math.min(Math.max(0, offset), Math.max(0, newest.length - 1));
  const out: Lines = [
    [
      { text: `${failed.length} failed trial(s), newest first`, tone: 'title' },
      ...(start > 0 ? [{ text: ` (from #${start + 1})`, tone: 'dim' as const }] : []),
    ],
  ];
  const { shown, hidden } = visibleCount(newest.length - start, height - 1);
  for (const f of newest.slice(start, start + shown)) {
    const what = `#${f.number} ${labelOf(f.params)} ${classText(f.params, dataset)} ${tunedText(f.params, g)}`.trim();
    out.push(
      clipLine(
        [
          { text: g.fail + ' ', tone: 'error' },
          { text: what },
          { text: ': ', tone: 'dim' },
          { text: f.error, tone: 'error' },
        ],
        width,
        g,
      ),
    );
  }
  if (hidden > 0) out.push([{ text: `+${hidden} older (${g.arrowsUpDown} to scroll)`, tone: 'dim' }]);
  return out.map((l) => clipLine(l, width, g));
}
