// The footer region: the views and their keys, or the question that q asks.
import type { Glyphs } from '../caps.js';
import type { SweepSnapshot } from '../model.js';
import type { Segment } from '../theme.js';
import { cellWidth } from '../layout.js';
import { clipLine } from './lines.js';

export type ViewName = 'running' | 'best' | 'grid' | 'failed';
export const VIEWS: readonly { readonly name: ViewName; readonly key: string; readonly label: string }[] = [
  { name: 'running', key: '1', label: 'running' },
  { name: 'best', key: '2', label: 'best' },
  { name: 'grid', key: '3', label: 'grid' },
  { name: 'failed', key: '4', label: 'failed' },
];

export function footerLine(
  view: ViewName,
  mode: SweepSnapshot['mode'],
  failedCount: number,
  width: number,
  g: Glyphs,
  stopping = false,
): Segment[] {
  const views: Segment[][] = VIEWS.map((v) => {
    const label = v.name === 'failed' && failedCount > 0 ? `${v.label}(${failedCount})` : v.label;
    return [
      { text: v.key, tone: 'key' },
      { text: ` ${label}`, tone: v.name === view ? 'best' : 'dim' },
      { text: '  ' },
    ];
  });
  const extra: [string, string][] =
    view === 'best'
      ? [
          [g.arrowsLeftRight, 'table'],
          ['s', 'selection'],
        ]
      : view === 'grid'
        ? [
            [g.arrowsUpDown, 'model'],
            [g.arrowsLeftRight, 'class'],
            ['n', `${g.nu} page`],
            ['c', 'contamination'],
          ]
        : view === 'failed'
          ? [[g.arrowsUpDown, 'scroll']]
          : [];
  const extras: Segment[][] = extra.map(([k, what]) => [
    { text: k, tone: 'key' },
    { text: ` ${what}  `, tone: 'dim' },
  ]);
  const last: Segment[] =
    mode === 'start' && stopping
      ? [
          { text: 'stopping: running trials go back to the queue; ', tone: 'warn' },
          { text: 'Ctrl-C', tone: 'key' },
          { text: ' quits at once', tone: 'dim' },
        ]
      : [
          { text: 'q', tone: 'key' },
          { text: mode === 'start' ? ' stop/quit' : ' quit', tone: 'dim' },
        ];
  // The way out is the last thing to go: on a narrow terminal the view's own
  // keys are dropped first (from the right), then the view labels shrink to
  // their keys, then views go from the right.
  const cells = (parts: readonly Segment[][]) =>
    parts.reduce((n, p) => n + p.reduce((m, s) => m + cellWidth(s.text), 0), 0);
  const room = width - cells([last]);
  while (extras.length && cells(views) + cells(extras) > room) extras.pop();
  if (cells(views) > room)
    views.forEach((v, i) =>
      v.splice(0, 3, { text: v[0]!.text, tone: VIEWS[i]!.name === view ? 'best' : 'key' }, { text: ' ' }),
    );
  while (views.length && cells(views) > room) views.pop();
  return clipLine([...views.flat(), ...extras.flat(), ...last], width, g);
}

export function confirmLine(width: number, g: Glyphs): Segment[] {
  return clipLine(
    [
      { text: 'Stop the sweep? ', tone: 'warn' },
      { text: 'Running trials are aborted and queued again (as Ctrl-C). ' },
      { text: 'y', tone: 'key' },
      { text: ' stop  ' },
      { text: 'n', tone: 'key' },
      { text: ' keep running' },
    ],
    width,
    g,
  );
}
