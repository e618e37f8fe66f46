// The running-trials region: one line per worker with phase, epoch, losses and AUROC sparklines.
import { fmt3 as reportFmt3 } from '../../report/format.js';
import type { Glyphs } from '../caps.js';
import type { LiveTrial, SweepSnapshot } from '../model.js';
import { sparkline, visibleCount } from '../layout.js';
import { fmtLoss, fmtParam, formatDuration } from '../format.js';
import { STEP_TEXT } from '../../pool/messages.js';
import { layoutTable, type TableCell, type TableColumnDef } from '../table.js';
import { type Lines, clipLine } from './lines.js';
import { classText, labelOf } from './words.js';

export function phaseText(t: LiveTrial): string {
  // Before its backend reported, a worker is loading TensorFlow.js; then each step says what it does.
  if (t.phase === 'starting') return t.step ? STEP_TEXT[t.step] : t.backend === null ? 'loading backend' : 'starting';
  // A cache hit is announced as the pretraining phase with no epochs to run: the center and joint training come next.
  if (t.phase === 'pretrain') return t.cached ? 'AE from cache' : 'pretraining';
  return t.cached ? 'joint (cached AE)' : 'joint';
}

export function lossText(losses: LiveTrial['losses']): string {
  if (!losses) return '';
  const entries = Object.entries(losses);
  // "total" first: it is the number people watch; then the terms in the order they came.
  entries.sort(([a], [b]) => (a === 'total' ? -1 : b === 'total' ? 1 : 0));
  return entries.map(([k, v]) => `${k === 'total' ? 'loss' : k} ${fmtLoss(v)}`).join(' ');
}

export function runningLines(s: SweepSnapshot, width: number, height: number, g: Glyphs): Lines {
  if (height <= 0) return [];
  if (s.running.length === 0) {
    const why = s.stopping
      ? 'no trial running: the sweep is stopping'
      : s.counts.waiting === 0 && s.counts.running === 0
        ? 'no trial running: nothing waits (the sweep is done)'
        : s.mode === 'monitor'
          ? 'no trial running (the sweep is stopped, or between trials)'
          : 'no trial running yet';
    return [clipLine([{ text: why, tone: 'dim' }], width, g)];
  }
  // What a person watches (model, class, phase, epoch, AUROC, time) is kept
  // longest and widened first; the backend (the same on every row, and in the
  // header) and the loss terms go first.
  const columns: TableColumnDef[] = [
    { key: 'w', header: 'w', min: 2, max: 3, priority: 2 },
    { key: 'trial', header: 'trial', min: 4, max: 6, priority: 4, align: 'right', extra: true },
    { key: 'model', header: 'model', min: 8, max: 26, priority: 0 },
    { key: 'class', header: 'class', min: 5, max: 14, priority: 1 },
    { key: 'kl', header: g.lambdaKl, min: 5, max: 8, priority: 2, align: 'right' },
    { key: 'rec', header: g.lambdaRec, min: 4, max: 7, priority: 2, align: 'right' },
    { key: 'nu', header: g.nu, min: 3, max: 5, priority: 3, align: 'right' },
    { key: 'phase', header: 'phase', min: 5, max: 17, priority: 1 },
    { key: 'epoch', header: 'epoch', min: 5, max: 9, priority: 1, align: 'right' },
    { key: 'auroc', header: 'AUROC', min: 5, max: 5, priority: 1, align: 'right' },
    { key: 'spark', header: 'trend', min: 5, max: 24, priority: 3, extra: true },
    { key: 'loss', header: 'last losses', min: 10, max: 48, priority: 5, extra: true },
    { key: 'time', header: 'time', min: 5, max: 6, priority: 1, align: 'right' },
    { key: 'backend', header: 'backend', min: 4, max: 10, priority: 6, extra: true },
  ];
  const { shown, hidden } = visibleCount(s.running.length, height - 1);
  const rows = [...s.running]
    .sort((a, b) => a.worker - b.worker || a.number - b.number)
    .slice(0, shown)
    .map((t): Record<string, TableCell> => {
      const last = t.auroc.length ? t.auroc[t.auroc.length - 1]! : null;
      return {
        w: { text: `w${t.worker}`, tone: 'dim' },
        trial: { text: `#${t.number}` },
        model: { text: labelOf(t.params) },
        class: { text: classText(t.params, s.dataset) },
        kl: { text: t.params.lambdaKl === undefined ? '-' : fmtParam(t.params.lambdaKl) },
        rec: { text: t.params.lambdaRec === undefined ? '-' : fmtParam(t.params.lambdaRec) },
        nu: { text: t.params.nu === undefined ? '-' : fmtParam(t.params.nu) },
        phase: { text: phaseText(t) },
        epoch: { text: t.phase === 'starting' ? '' : `${t.epoch}/${t.epochs ?? '?'}` },
        auroc: { text: last === null ? '-' : reportFmt3(last) },
        spark: { text: sparkline(t.auroc, 24, g) },
        loss: { text: lossText(t.losses), tone: 'dim' },
        time: { text: formatDuration(Math.max(0, (s.now - t.startedAt) / 1000)) },
        backend: { text: t.backend ?? '?', tone: 'dim' },
      };
    });
  // A tuned axis no running trial has (nu under hard boundaries) is noise: leave it out.
  const empty = (key: string) => rows.every((r) => r[key]!.text === '-');
  const table = layoutTable(
    columns.filter((c) => !(['kl', 'rec', 'nu'].includes(c.key) && empty(c.key))),
    rows,
    width,
    g.ellipsis,
  );
  const lines = table.lines;
  if (hidden > 0) lines.push([{ text: `+${hidden} more running`, tone: 'dim' }]);
  return lines.slice(0, height).map((l) => clipLine(l, width, g));
}
