// The hyperparameter-grid region: the ablation heat grid of one row, class and contamination, and how the keys move through them.
import type { TrialParams } from '../../grid/expand.js';
import type { HyperGrid, ReportModel } from '../../report/index.js';
import { fmt3 as reportFmt3 } from '../../report/format.js';
import { colorDomain } from '../../report/svg.js';
import type { Glyphs } from '../caps.js';
import type { Segment } from '../theme.js';
import { HEAT_LEVELS } from '../theme.js';
import { heatLevel, visibleCount } from '../layout.js';
import { fmtParam } from '../format.js';
import { layoutTable, type TableCell, type TableColumnDef } from '../table.js';
import { type Lines, clipLine, join } from './lines.js';
import { classText } from './words.js';

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
  const normalClass =
    classes.find((c) => c.normalClass === want.normalClass)?.normalClass ?? classes[0]?.normalClass ?? null;
  const ofClass = ofRow.filter((gr) => gr.normalClass === normalClass);
  const contaminations = [...new Set(ofClass.map((gr) => gr.contamination))].sort((a, b) => a - b);
  const contamination =
    want.contamination !== undefined && contaminations.includes(want.contamination)
      ? want.contamination
      : (contaminations[0] ?? null);
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

export function gridLines(
  report: ReportModel | null,
  want: GridWant,
  width: number,
  height: number,
  g: Glyphs,
  color: boolean,
): Lines {
  if (height <= 0) return [];
  if (!report || report.grids.length === 0)
    return [
      clipLine(
        [
          {
            text: 'no hyperparameter grid yet: it needs a model with more than one value of lambdaKl, lambdaRec or nu',
            tone: 'dim',
          },
        ],
        width,
        g,
      ),
    ];
  const nav = navigateGrids(report.grids, want);
  const grid = nav.pages[nav.page];
  if (!grid) return [[{ text: 'no grid for this choice', tone: 'dim' }]];
  const out: Lines = [];
  const title = join(
    [
      { text: 'Grid', tone: 'title' },
      { text: grid.row.label },
      { text: classText({ normalClass: grid.normalClass } as TrialParams, report.study.dataset) },
      ...(grid.nu !== null
        ? [{ text: `${g.nu} ${fmtParam(grid.nu)} (page ${nav.page + 1}/${nav.pages.length})` }]
        : []),
      ...(nav.contaminations.length > 1 || grid.contamination > 0
        ? [{ text: `contamination ${grid.contamination}` }]
        : []),
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
  const pageValues = grid.cells
    .flat()
    .map((c) => c.mean)
    .filter((v): v is number => v !== null);
  const top = pageValues.length ? Math.max(...pageValues.map((v) => Math.round(v * 1000))) : null;

  const legend: Segment[] = [{ text: 'low ', tone: 'dim' }];
  for (let k = 0; k < levels; k++) legend.push(color ? { text: '  ', heat: k } : { text: g.shade[k]! });
  legend.push({ text: ' high', tone: 'dim' });
  if (values.length) legend.push({ text: `  ${reportFmt3(lo)} ${g.dash} ${reportFmt3(hi)}`, tone: 'dim' });
  legend.push(
    { text: '   best of page ', tone: 'dim' },
    { text: 'bold', tone: 'best' },
    { text: '   - not finished', tone: 'dim' },
  );
  out.push(clipLine(legend, width, g));

  const axisName = (k: HyperGrid['x']['key']) =>
    k === 'lambdaKl' ? g.lambdaKl : k === 'lambdaRec' ? g.lambdaRec : k === 'nu' ? g.nu : '';
  const columns: TableColumnDef[] = [
    {
      key: 'rec',
      header: grid.y.key ? `${axisName(grid.y.key)}\\${axisName(grid.x.key)}` : `${axisName(grid.x.key)}:`,
      min: 5,
      max: 14,
      priority: 0,
      align: 'right',
    },
    ...grid.x.values.map((kl, j): TableColumnDef => ({
      key: `k${j}`,
      header: kl === null ? '-' : fmtParam(kl),
      min: color ? 5 : 6,
      max: 9,
      priority: 1 + j,
      align: 'right',
      overflow: 'clip',
    })),
  ];
  const rows = grid.y.values.map((yv, i) => {
    // A grid with one tuned axis has a single row: it holds the AUROC.
    const row: Record<string, TableCell> = {
      rec: { text: grid.y.key === null ? 'AUROC' : yv === null ? '-' : fmtParam(yv), tone: 'head' },
    };
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
