// The header region: counts, progress, ETA, rate and backends, from a snapshot.
import type { Glyphs } from '../caps.js';
import type { LiveTrial, SweepSnapshot } from '../model.js';
import type { Segment } from '../theme.js';
import { cellWidth, progressBar } from '../layout.js';
import { formatDuration, formatEta, formatRate, trialsPerHour } from '../format.js';
import { estimateEta } from '../eta.js';
import { type Lines, clipLine, join, sepOf } from './lines.js';
import { backendSummary } from './words.js';

/** Whether a running trial builds a pretraining: known once its phase said so; null while it starts. */
export function pretrainsOf(t: LiveTrial): boolean | null {
  return t.phase === 'starting' ? null : !t.cached;
}

/** Per worker while they report; before that (a monitor of a stopped sweep), what finished trials used. */
export function backendText(s: SweepSnapshot): string {
  const used = s.report?.provenance.backends ?? [];
  if (s.backends.every((b) => b === null) && used.length > 0) return `backend ${used.join(', ')} (finished trials)`;
  return backendSummary(s.backends);
}

export function headerLines(s: SweepSnapshot, width: number, g: Glyphs): Lines {
  const title: Segment[] = [{ text: `iae-sweep ${s.mode}`, tone: 'title' }];
  if (s.stopping) title.push({ text: ' ' }, { text: 'STOPPING', tone: 'warn' });
  const dataset = s.dataset ?? 'dataset ?';
  const line1 = join(
    [
      title,
      { text: `study ${s.study}` },
      { text: dataset },
      { text: `objective ${s.objective}` },
      { text: backendText(s) },
    ],
    g,
  );
  if (s.stale) line1.push(sepOf(g), { text: `database: ${s.stale}`, tone: 'error' });

  const c = s.counts;
  const line2 = join(
    [
      // A pruned point is done: the grid does not run it again.
      { text: `trials ${c.complete + c.pruned}/${s.points} done` },
      { text: `${c.running} running` },
      { text: `${c.waiting} waiting` },
      { text: `${c.failed} failed`, tone: c.failed > 0 ? 'error' : 'plain' },
      ...(c.pruned > 0 ? [{ text: `${c.pruned} pruned` }] : []),
      ...(c.foreign ? [{ text: `${c.foreign} not from this grid, ignored`, tone: 'dim' as const }] : []),
    ],
    g,
  );

  const fraction = s.points > 0 ? (c.complete + c.pruned) / s.points : 0;
  const eta = estimateEta({
    costs: s.costs,
    waiting: c.waiting,
    running: s.running.map((t) => ({ elapsed: Math.max(0, (s.now - t.startedAt) / 1000), pretrains: pretrainsOf(t) })),
    unbuilt: s.unbuilt,
    workers: Math.max(s.workers, s.running.length),
  });
  const rate = trialsPerHour(s.finishedAt, s.rateSince, s.now);
  // Percentage and ETA first: a narrow terminal cuts from the right.
  const stats = join(
    [
      { text: `${(fraction * 100).toFixed(1)}%` },
      { text: formatEta(eta), tone: eta.kind === 'eta' ? 'plain' : 'dim' },
      { text: `${s.mode === 'monitor' ? 'since first trial' : 'elapsed'} ${formatDuration((s.now - s.since) / 1000)}` },
      { text: formatRate(rate) },
      ...(s.meanSeconds !== null
        ? [{ text: `mean trial ${formatDuration(s.meanSeconds)}`, tone: 'dim' as const }]
        : []),
    ],
    g,
  );
  const statsWidth = stats.reduce((n, x) => n + cellWidth(x.text), 0);
  const barWidth = Math.min(40, width - statsWidth - 1);
  const line3: Segment[] =
    barWidth >= 10 ? [{ text: progressBar(fraction, barWidth, g), tone: 'ok' }, { text: ' ' }, ...stats] : stats;
  return [line1, line2, line3].map((l) => clipLine(l, width, g));
}
