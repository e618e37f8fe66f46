// The log above the live area: one plain line per finished trial.
import { fmt3 as reportFmt3 } from '../../report/format.js';
import type { Glyphs } from '../caps.js';
import type { LogItem, SweepSnapshot } from '../model.js';
import type { Segment } from '../theme.js';
import { formatDuration } from '../format.js';
import { clipLine } from './lines.js';
import { classText, labelOf, tunedText } from './words.js';

export function logLine(item: LogItem, width: number, g: Glyphs, dataset: SweepSnapshot['dataset']): Segment[] {
  if (item.kind === 'note') return clipLine([{ text: `${g.dot} `, tone: 'dim' }, { text: item.text ?? '' }], width, g);
  const p = item.params!;
  const who = `#${item.number}${item.worker !== null && item.worker !== undefined ? ` w${item.worker}` : ''}`;
  const what = `${labelOf(p)} ${classText(p, dataset)} ${tunedText(p, g)}`.trim();
  const dur = item.seconds !== null && item.seconds !== undefined ? ` (${formatDuration(item.seconds)})` : '';
  if (item.kind === 'COMPLETE')
    return clipLine(
      [
        { text: `${g.ok} `, tone: 'ok' },
        { text: `${who} ${what} ` },
        {
          text: `AUROC ${item.value === null || item.value === undefined ? '-' : reportFmt3(item.value)}`,
          tone: 'title',
        },
        { text: dur, tone: 'dim' },
      ],
      width,
      g,
    );
  if (item.kind === 'PRUNED')
    return clipLine(
      [
        { text: `${g.interrupted} `, tone: 'dim' },
        { text: `${who} ${what} ` },
        {
          text: `pruned at AUROC ${item.value === null || item.value === undefined ? '-' : reportFmt3(item.value)}${dur}`,
          tone: 'dim',
        },
      ],
      width,
      g,
    );
  if (item.kind === 'FAIL')
    return clipLine(
      [
        { text: `${g.fail} `, tone: 'error' },
        { text: `${who} ${what} ` },
        { text: `FAIL${dur}: ${item.error ?? ''}`, tone: 'error' },
      ],
      width,
      g,
    );
  return clipLine(
    [
      { text: `${g.interrupted} `, tone: 'dim' },
      { text: `${who} ${what} ` },
      { text: 'interrupted, queued again', tone: 'dim' },
    ],
    width,
    g,
  );
}
