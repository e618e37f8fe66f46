// Every screen region as lines of segments, from a snapshot and a size. Pure:
// what the terminal shows (which columns survive, what is cut, what is
// highlighted) is decided here and tested here; components print the lines.
import type { TrialParams } from '../grid/expand.js';
import { modelLabel } from '../study/models.js';
import type { Cell, HyperGrid, ReportModel, ReportTable } from '../report/index.js';
import { className } from '../report/index.js';
import { cellMarks, columnHeader, fmt3 as reportFmt3, visibleColumns } from '../report/format.js';
import { colorDomain } from '../report/svg.js';
import type { Glyphs } from './caps.js';
import type { FailedTrial, LiveTrial, LogItem, SweepSnapshot } from './model.js';
import type { Segment } from './theme.js';
import { HEAT_LEVELS } from './theme.js';
import { cellWidth, heatLevel, progressBar, sparkline, truncate, visibleCount } from './layout.js';
import { fmtLoss, fmtParam, formatDuration, formatEta, formatRate, trialsPerHour } from './format.js';
import { estimateEta } from './eta.js';
import { STEP_TEXT } from '../pool/messages.js';
import { layoutTable, type TableCell, type TableColumnDef } from './table.js';

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

const sepOf = (g: Glyphs): Segment => ({ text: ` ${g.dot} `, tone: 'dim' });

function join(parts: readonly (Segment | Segment[])[], g: Glyphs): Segment[] {
  const out: Segment[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(sepOf(g));
    if (Array.isArray(p)) out.push(...p);
    else out.push(p);
  });
  return out;
}

// ------------------------------------------------------------------ words

/** "IAE-LSTM-KL(h)". */
export function labelOf(p: TrialParams): string {
  return modelLabel(p.model, p.boundary);
}

/** The tuned values of a point: "λKL=0.001 λrec=1 ν=0.1". */
export function tunedText(p: TrialParams, g: Glyphs): string {
  const parts: string[] = [];
  if (p.lambdaKl !== undefined) parts.push(`${g.lambdaKl}=${fmtParam(p.lambdaKl)}`);
  if (p.lambdaRec !== undefined) parts.push(`${g.lambdaRec}=${fmtParam(p.lambdaRec)}`);
  if (p.nu !== undefined) parts.push(`${g.nu}=${fmtParam(p.nu)}`);
  if (p.contamination > 0) parts.push(`cont=${p.contamination}`);
  return parts.join(' ');
}

export function classText(p: TrialParams, dataset: SweepSnapshot['dataset']): string {
  const name = className(dataset, p.normalClass);
  return name === `class ${p.normalClass}` ? name : `${p.normalClass} ${name}`;
}

/**
 * Runs of workers with the same backend: "w0-w5 tensorflow, w6-w7 wasm".
 * Workers that have not reported yet read "?".
 */
export function backendSummary(backends: readonly (string | null)[]): string {
  if (backends.length === 0) return 'backend ?';
  const runs: { from: number; to: number; name: string }[] = [];
  backends.forEach((b, i) => {
    const name = b ?? '?';
    const last = runs[runs.length - 1];
    if (last && last.name === name && last.to === i - 1) last.to = i;
    else runs.push({ from: i, to: i, name });
  });
  if (runs.length === 1) return `backend ${runs[0]!.name} (${backends.length} worker${backends.length > 1 ? 's' : ''})`;
  return 'backend ' + runs.map((r) => `${r.from === r.to ? `w${r.from}` : `w${r.from}-w${r.to}`} ${r.name}`).join(', ');
}

// ------------------------------------------------------------------ header

/** Whether a running trial builds a pretraining: known once its phase said so; null while it starts. */
function pretrainsOf(t: LiveTrial): boolean | null {
  return t.phase === 'starting' ? null : !t.cached;
}

/** Per worker while they report; before that (a monitor of a stopped sweep), what finished trials used. */
function backendText(s: SweepSnapshot): string {
  const used = s.report?.provenance.backends ?? [];
  if (s.backends.every((b) => b === null) && used.length > 0) return `backend ${used.join(', ')} (finished trials)`;
  return backendSummary(s.backends);
}

export function headerLines(s: SweepSnapshot, width: number, g: Glyphs): Lines {
  const title: Segment[] = [{ text: `iae-sweep ${s.mode}`, tone: 'title' }];
  if (s.stopping) title.push({ text: ' ' }, { text: 'STOPPING', tone: 'warn' });
  const dataset = s.dataset ?? 'dataset ?';
  const line1 = join(
    [title, { text: `study ${s.study}` }, { text: dataset }, { text: `objective ${s.objective}` }, { text: backendText(s) }],
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
      ...(s.meanSeconds !== null ? [{ text: `mean trial ${formatDuration(s.meanSeconds)}`, tone: 'dim' as const }] : []),
    ],
    g,
  );
  const statsWidth = stats.reduce((n, x) => n + cellWidth(x.text), 0);
  const barWidth = Math.min(40, width - statsWidth - 1);
  const line3: Segment[] = barWidth >= 10 ? [{ text: progressBar(fraction, barWidth, g), tone: 'ok' }, { text: ' ' }, ...stats] : stats;
  return [line1, line2, line3].map((l) => clipLine(l, width, g));
}

// ------------------------------------------------------------------ running trials

export function phaseText(t: LiveTrial): string {
  // Before its backend reported, a worker is loading TensorFlow.js; then each step says what it does.
  if (t.phase === 'starting') return t.step ? STEP_TEXT[t.step] : t.backend === null ? 'loading backend' : 'starting';
  // A cache hit is announced as the pretraining phase with no epochs to run: the center and joint training come next.
  if (t.phase === 'pretrain') return t.cached ? 'AE from cache' : 'pretraining';
  return t.cached ? 'joint (cached AE)' : 'joint';
}

function lossText(losses: LiveTrial['losses']): string {
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

// ------------------------------------------------------------------ best so far

const asciiMarks = (m: string, g: Glyphs) => (g.ellipsis === '…' ? m : m.replace(/†/g, '*').replace(/‡/g, '+'));

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
    return [clipLine([{ text: reportError ?? 'no finished trial yet: the table fills in as trials finish', tone: reportError ? 'error' : 'dim' }], width, g)];
  const tables = report.tables;
  if (tables.length === 0) return [clipLine([{ text: 'no table yet: no finished trial has a value', tone: 'dim' }], width, g)];
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
  out.push(clipLine([{ text: `selection ${report.selection.select}, score ${report.selection.score}. ${report.selection.caption}`, tone: 'dim' }], width, g));
  out.push(...tableLines(table, width, height - out.length, g));
  return out.slice(0, height);
}

function tableLines(table: ReportTable, width: number, height: number, g: Glyphs): Lines {
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

// ------------------------------------------------------------------ hyperparameter grid

export interface GridWant {
  readonly rowId?: string;
  readonly normalClass?: number;
  readonly contamination?: number;
  readonly page?: number;
}

export interface GridNav {
  readonly rows: readonly { readonly id: string; readonly label: string }[];
  readonly classes: readonly { readonly normalClass: number; readonly name: string }[];
  readonly contaminations: readonly number[];
  /** One grid per nu (a single page for hard boundaries). */
  readonly pages: readonly HyperGrid[];
  /** What is shown: the wanted one where it exists, else the first of each list. */
  readonly rowId: string | null;
  readonly normalClass: number | null;
  readonly contamination: number | null;
  readonly page: number;
}

/**
 * Resolves the wanted model, class, contamination and page against the grids
 * the report has now. Choices are kept by value, not by position, so a model
 * that appears mid-sweep does not move the user's selection.
 */
export function navigateGrids(grids: readonly HyperGrid[], want: GridWant): GridNav {
  const rows: { id: string; label: string }[] = [];
  for (const gr of grids) if (!rows.some((r) => r.id === gr.row.id)) rows.push({ id: gr.row.id, label: gr.row.label });
  // Until the user picks one, the paper's own model leads (it is why the sweep runs).
  const rowId =
    rows.find((r) => r.id === want.rowId)?.id ??
    grids.find((gr) => gr.row.model === 'IAE-LSTM-KL')?.row.id ??
    rows[0]?.id ??
    null;
  const ofRow = grids.filter((gr) => gr.row.id === rowId);
  const classes = [...new Map(ofRow.map((gr) => [gr.normalClass, gr.className])).entries()]
    .sort(([a], [b]) => a - b)
    .map(([normalClass, name]) => ({ normalClass, name }));
  const normalClass = classes.find((c) => c.normalClass === want.normalClass)?.normalClass ?? classes[0]?.normalClass ?? null;
  const ofClass = ofRow.filter((gr) => gr.normalClass === normalClass);
  const contaminations = [...new Set(ofClass.map((gr) => gr.contamination))].sort((a, b) => a - b);
  const contamination =
    want.contamination !== undefined && contaminations.includes(want.contamination) ? want.contamination : (contaminations[0] ?? null);
  const pages = ofClass.filter((gr) => gr.contamination === contamination);
  const page = pages.length === 0 ? 0 : Math.min(Math.max(0, want.page ?? 0), pages.length - 1);
  return { rows, classes, contaminations, pages, rowId, normalClass, contamination, page };
}

/** Steps through a list by value, wrapping around. */
export function stepValue<T>(list: readonly T[], current: T | null, delta: number): T | undefined {
  if (list.length === 0) return undefined;
  const i = current === null ? -1 : list.indexOf(current);
  const j = i < 0 ? 0 : (((i + delta) % list.length) + list.length) % list.length;
  return list[j];
}

export function gridLines(report: ReportModel | null, want: GridWant, width: number, height: number, g: Glyphs, color: boolean): Lines {
  if (height <= 0) return [];
  if (!report || report.grids.length === 0)
    return [clipLine([{ text: 'no hyperparameter grid yet: it needs a model with more than one value of lambdaKl, lambdaRec or nu', tone: 'dim' }], width, g)];
  const nav = navigateGrids(report.grids, want);
  const grid = nav.pages[nav.page];
  if (!grid) return [[{ text: 'no grid for this choice', tone: 'dim' }]];
  const out: Lines = [];
  const title = join(
    [
      { text: 'Grid', tone: 'title' },
      { text: grid.row.label },
      { text: classText({ normalClass: grid.normalClass } as TrialParams, report.study.dataset) },
      ...(grid.nu !== null ? [{ text: `${g.nu} ${fmtParam(grid.nu)} (page ${nav.page + 1}/${nav.pages.length})` }] : []),
      ...(nav.contaminations.length > 1 || grid.contamination > 0 ? [{ text: `contamination ${grid.contamination}` }] : []),
      { text: `final AUROC (${grid.row.score}), mean over seeds`, tone: 'dim' },
    ],
    g,
  );
  out.push(clipLine(title, width, g));

  // One colour scale for all nu pages of this model and class, so pages compare.
  const values = nav.pages.flatMap((p) => p.cells.flat().map((c) => c.mean)).filter((v): v is number => v !== null);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 0;
  // The figures' colour range (never narrower than their minimum span): cells a millionth apart share a colour.
  const [scaleLo, scaleHi] = colorDomain(values);
  const levels = HEAT_LEVELS;
  const pageValues = grid.cells.flat().map((c) => c.mean).filter((v): v is number => v !== null);
  const top = pageValues.length ? Math.max(...pageValues.map((v) => Math.round(v * 1000))) : null;

  const legend: Segment[] = [{ text: 'low ', tone: 'dim' }];
  for (let k = 0; k < levels; k++) legend.push(color ? { text: '  ', heat: k } : { text: g.shade[k]! });
  legend.push({ text: ' high', tone: 'dim' });
  if (values.length) legend.push({ text: `  ${reportFmt3(lo)} ${g.dash} ${reportFmt3(hi)}`, tone: 'dim' });
  legend.push({ text: '   best of page ', tone: 'dim' }, { text: 'bold', tone: 'best' }, { text: '   - not finished', tone: 'dim' });
  out.push(clipLine(legend, width, g));

  const axisName = (k: HyperGrid['x']['key']) => (k === 'lambdaKl' ? g.lambdaKl : k === 'lambdaRec' ? g.lambdaRec : k === 'nu' ? g.nu : '');
  const columns: TableColumnDef[] = [
    { key: 'rec', header: grid.y.key ? `${axisName(grid.y.key)}\\${axisName(grid.x.key)}` : `${axisName(grid.x.key)}:`, min: 5, max: 14, priority: 0, align: 'right' },
    ...grid.x.values.map(
      (kl, j): TableColumnDef => ({
        key: `k${j}`,
        header: kl === null ? '-' : fmtParam(kl),
        min: color ? 5 : 6,
        max: 9,
        priority: 1 + j,
        align: 'right',
        overflow: 'clip',
      }),
    ),
  ];
  const rows = grid.y.values.map((yv, i) => {
    // A grid with one tuned axis has a single row: it holds the AUROC.
    const row: Record<string, TableCell> = { rec: { text: grid.y.key === null ? 'AUROC' : yv === null ? '-' : fmtParam(yv), tone: 'head' } };
    grid.x.values.forEach((_, j) => {
      const c = grid.cells[i]![j]!;
      const level = heatLevel(c.mean, scaleLo, scaleHi, levels);
      const isTop = c.mean !== null && top !== null && Math.round(c.mean * 1000) === top;
      const num = c.mean === null ? '-' : reportFmt3(c.mean);
      row[`k${j}`] = {
        // Without colour the shade glyph carries the heat.
        text: color || level === null ? num : `${g.shade[level]}${num}`,
        tone: isTop ? 'best' : c.mean === null ? 'dim' : 'plain',
        heat: color ? level : null,
      };
    });
    return row;
  });
  const laid = layoutTable(columns, rows, width, g.ellipsis);
  const dropped = laid.dropped.length;
  const room = height - out.length - (dropped > 0 ? 1 : 0);
  const { shown, hidden } = visibleCount(rows.length, room - 1);
  out.push(...laid.lines.slice(0, 1 + shown));
  if (hidden > 0) out.push([{ text: `+${hidden} more rows`, tone: 'dim' }]);
  if (dropped > 0) out.push([{ text: `${dropped} column(s) hidden: widen the terminal`, tone: 'dim' }]);
  return out.slice(0, height).map((l) => clipLine(l, width, g));
}

// ------------------------------------------------------------------ failed trials

export function failedLines(failed: readonly FailedTrial[], offset: number, width: number, height: number, g: Glyphs, dataset: SweepSnapshot['dataset']): Lines {
  if (height <= 0) return [];
  if (failed.length === 0) return [[{ text: 'no failed trial', tone: 'dim' }]];
  const newest = [...failed].reverse();
  const start = Math.min(Math.max(0, offset), Math.max(0, newest.length - 1));
  const out: Lines = [[{ text: `${failed.length} failed trial(s), newest first`, tone: 'title' }, ...(start > 0 ? [{ text: ` (from #${start + 1})`, tone: 'dim' as const }] : [])]];
  const { shown, hidden } = visibleCount(newest.length - start, height - 1);
  for (const f of newest.slice(start, start + shown)) {
    const what = `#${f.number} ${labelOf(f.params)} ${classText(f.params, dataset)} ${tunedText(f.params, g)}`.trim();
    out.push(clipLine([{ text: g.fail + ' ', tone: 'error' }, { text: what }, { text: ': ', tone: 'dim' }, { text: f.error, tone: 'error' }], width, g));
  }
  if (hidden > 0) out.push([{ text: `+${hidden} older (${g.arrowsUpDown} to scroll)`, tone: 'dim' }]);
  return out.map((l) => clipLine(l, width, g));
}

// ------------------------------------------------------------------ footer

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
    return [{ text: v.key, tone: 'key' }, { text: ` ${label}`, tone: v.name === view ? 'best' : 'dim' }, { text: '  ' }];
  });
  const extra: [string, string][] =
    view === 'best'
      ? [[g.arrowsLeftRight, 'table'], ['s', 'selection']]
      : view === 'grid'
        ? [[g.arrowsUpDown, 'model'], [g.arrowsLeftRight, 'class'], ['n', `${g.nu} page`], ['c', 'contamination']]
        : view === 'failed'
          ? [[g.arrowsUpDown, 'scroll']]
          : [];
  const extras: Segment[][] = extra.map(([k, what]) => [{ text: k, tone: 'key' }, { text: ` ${what}  `, tone: 'dim' }]);
  const last: Segment[] =
    mode === 'start' && stopping
      ? [{ text: 'stopping: running trials go back to the queue; ', tone: 'warn' }, { text: 'Ctrl-C', tone: 'key' }, { text: ' quits at once', tone: 'dim' }]
      : [{ text: 'q', tone: 'key' }, { text: mode === 'start' ? ' stop/quit' : ' quit', tone: 'dim' }];
  // The way out is the last thing to go: on a narrow terminal the view's own
  // keys are dropped first (from the right), then the view labels shrink to
  // their keys, then views go from the right.
  const cells = (parts: readonly Segment[][]) => parts.reduce((n, p) => n + p.reduce((m, s) => m + cellWidth(s.text), 0), 0);
  const room = width - cells([last]);
  while (extras.length && cells(views) + cells(extras) > room) extras.pop();
  if (cells(views) > room) views.forEach((v, i) => v.splice(0, 3, { text: v[0]!.text, tone: VIEWS[i]!.name === view ? 'best' : 'key' }, { text: ' ' }));
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

// ------------------------------------------------------------------ the log above the live area

export function logLine(item: LogItem, width: number, g: Glyphs, dataset: SweepSnapshot['dataset']): Segment[] {
  if (item.kind === 'note') return clipLine([{ text: `${g.dot} `, tone: 'dim' }, { text: item.text ?? '' }], width, g);
  const p = item.params!;
  const who = `#${item.number}${item.worker !== null && item.worker !== undefined ? ` w${item.worker}` : ''}`;
  const what = `${labelOf(p)} ${classText(p, dataset)} ${tunedText(p, g)}`.trim();
  const dur = item.seconds !== null && item.seconds !== undefined ? ` (${formatDuration(item.seconds)})` : '';
  if (item.kind === 'COMPLETE')
    return clipLine(
      [{ text: `${g.ok} `, tone: 'ok' }, { text: `${who} ${what} ` }, { text: `AUROC ${item.value === null || item.value === undefined ? '-' : reportFmt3(item.value)}`, tone: 'title' }, { text: dur, tone: 'dim' }],
      width,
      g,
    );
  if (item.kind === 'PRUNED')
    return clipLine(
      [{ text: `${g.interrupted} `, tone: 'dim' }, { text: `${who} ${what} ` }, { text: `pruned at AUROC ${item.value === null || item.value === undefined ? '-' : reportFmt3(item.value)}${dur}`, tone: 'dim' }],
      width,
      g,
    );
  if (item.kind === 'FAIL')
    return clipLine([{ text: `${g.fail} `, tone: 'error' }, { text: `${who} ${what} ` }, { text: `FAIL${dur}: ${item.error ?? ''}`, tone: 'error' }], width, g);
  return clipLine([{ text: `${g.interrupted} `, tone: 'dim' }, { text: `${who} ${what} ` }, { text: 'interrupted, queued again', tone: 'dim' }], width, g);
}
