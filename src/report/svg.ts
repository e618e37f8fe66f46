// Hand-written SVG plots: a line plot and a heatmap, with axes, tick labels,
// axis labels and a legend. No browser and no plotting library: the output is
// a string, deterministic for golden tests, and rasterised by resvg (png.ts).
// Each series is a <g class="series">, each legend entry a <g class="legend-item">,
// so tests (and readers of the file) can count them.

export const FONT_FAMILY = 'DejaVu Sans, Arial, Helvetica, sans-serif';

/** matplotlib's tab10: distinguishable, colour-blind-tolerant, familiar to readers of papers. */
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Coordinates with two decimals: enough for screens and print, short files. */
function n2(x: number): string {
  const r = Math.round(x * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** About 5 round ticks (1, 2, 2.5, 5 x 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.round(v / step) * step);
  return out.map((v) => Number(v.toPrecision(12)));
}

function tickText(v: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(v) || 1;
  // Enough decimals to tell neighbouring ticks apart (one more for steps of 2.5).
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9) + (Math.abs(mantissa - 2.5) < 1e-6 ? 1 : 0));
  return v.toFixed(Math.min(decimals, 6));
}

/** Rough text width for layout (DejaVu Sans averages ~0.6 em per character). */
export function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.6;
}

export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface LinePlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Fixed ticks on x (e.g. the contamination ratios); else round ticks. */
  readonly xTicks?: readonly { readonly value: number; readonly label: string }[];
  readonly yDomain?: readonly [number, number];
  /** x takes whole numbers only (epochs): no ticks between them. */
  readonly xInteger?: boolean;
  /** A line under the plot (what the values are, how many runs). */
  readonly note?: string;
}

export function linePlot(o: LinePlotOptions): string {
  const fs = 12;
  // Whole pixels: the PNG is the SVG's size times the scale, exactly.
  const legendW = Math.ceil(Math.min(520, Math.max(80, ...o.series.map((s) => textWidth(s.name, fs))) + 44));
  const W = o.width ?? 640 + legendW;
  const H = o.height ?? 440;
  const m = { left: 70, right: legendW + 16, top: 46, bottom: o.note ? 74 : 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const xs = o.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = o.series.flatMap((s) => s.points.map((p) => p.y));
  let [xlo, xhi] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (o.xTicks?.length) {
    xlo = Math.min(xlo, ...o.xTicks.map((t) => t.value));
    xhi = Math.max(xhi, ...o.xTicks.map((t) => t.value));
  }
  if (xhi === xlo) [xlo, xhi] = [xlo - 0.5, xhi + 0.5];
  let [ylo, yhi] = o.yDomain ?? (ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1]);
  if (!o.yDomain) {
    const pad = Math.max((yhi - ylo) * 0.08, 0.005);
    [ylo, yhi] = [ylo - pad, yhi + pad];
  }
  const yTicks = niceTicks(ylo, yhi, 6);
  const X = (x: number) => m.left + ((x - xlo) / (xhi - xlo)) * pw;
  const Y = (y: number) => m.top + ph - ((y - ylo) / (yhi - ylo)) * ph;
  let auto = niceTicks(xlo, xhi, 8);
  if (o.xInteger) {
    auto = auto.filter((v) => Number.isInteger(v));
    if (auto.length < 2)
      auto = Array.from({ length: Math.floor(xhi) - Math.ceil(xlo) + 1 }, (_, k) => Math.ceil(xlo) + k);
  }
  const xTicks = o.xTicks ?? auto.map((v) => ({ value: v, label: '' }));
  const xTickLabels = o.xTicks
    ? xTicks.map((t) => t.label)
    : xTicks.map((t, _, all) =>
        tickText(
          t.value,
          all.map((a) => a.value),
        ),
      );

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}" font-size="${fs}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text class="title" x="${n2(m.left + pw / 2)}" y="26" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
  );
  // Grid lines and y ticks.
  out.push('<g class="y-axis">');
  for (const t of yTicks) {
    if (t < ylo - 1e-12 || t > yhi + 1e-12) continue;
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${n2(Y(t))}" y2="${n2(Y(t))}" stroke="#e5e5e5"/>`,
      `<line x1="${m.left - 5}" x2="${m.left}" y1="${n2(Y(t))}" y2="${n2(Y(t))}" stroke="#333333"/>`,
      `<text class="tick" x="${m.left - 8}" y="${n2(Y(t) + 4)}" text-anchor="end">${escapeXml(tickText(t, yTicks))}</text>`,
    );
  }
  out.push('</g>', '<g class="x-axis">');
  xTicks.forEach((t, i) => {
    if (t.value < xlo - 1e-12 || t.value > xhi + 1e-12) return;
    out.push(
      `<line x1="${n2(X(t.value))}" x2="${n2(X(t.value))}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333333"/>`,
      `<text class="tick" x="${n2(X(t.value))}" y="${m.top + ph + 19}" text-anchor="middle">${escapeXml(xTickLabels[i]!)}</text>`,
    );
  });
  out.push('</g>');
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`,
    `<text class="axis-label x" x="${n2(m.left + pw / 2)}" y="${m.top + ph + 42}" text-anchor="middle" font-size="13">${escapeXml(o.xLabel)}</text>`,
    `<text class="axis-label y" x="0" y="0" transform="translate(18 ${n2(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(o.yLabel)}</text>`,
  );
  if (o.note)
    out.push(
      `<text class="note" x="${m.left}" y="${H - 10}" font-size="11" fill="#555555">${escapeXml(o.note)}</text>`,
    );
  if (o.series.length === 0) {
    out.push(
      `<text x="${n2(m.left + pw / 2)}" y="${n2(m.top + ph / 2)}" text-anchor="middle" fill="#777777">no finished trial yet</text>`,
    );
  }
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1) {
      const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${n2(X(p.x))} ${n2(Y(p.y))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    }
    if (pts.length <= 60)
      for (const p of pts) out.push(`<circle cx="${n2(X(p.x))}" cy="${n2(Y(p.y))}" r="3" fill="${color}"/>`);
    out.push('</g>');
  });
  // Legend, right of the plot.
  const lx = m.left + pw + 16;
  out.push(`<g class="legend">`);
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const y = m.top + 10 + i * 20;
    out.push(
      `<g class="legend-item">`,
      `<line x1="${lx}" x2="${lx + 26}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<circle cx="${lx + 13}" cy="${y}" r="3" fill="${color}"/>`,
      `<text x="${lx + 34}" y="${y + 4}">${escapeXml(s.name)}</text>`,
      `</g>`,
    );
  });
  out.push('</g>', '</svg>');
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------ heatmap

/** viridis at nine stops: perceptually uniform, readable in grey print. */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function hexToRgb(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** Colour of t in [0, 1] on viridis (the figures' heatmaps and the screen's heat grid both use it). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(VIRIDIS[i]!);
  const b = hexToRgb(VIRIDIS[i + 1]!);
  return `#${a
    .map((v, k) =>
      Math.round(v + (b[k]! - v) * f)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** Relative brightness 0..1 of a colour: which text colour reads on it. */
export function luminance(hex: string): number {
  const [r, g, b] = hexToRgb(hex);
  return (0.299 * r + 0.587 * g + 0.114 * b) / 255;
}

/** Black or white, whichever reads on `fill`. */
export function textOn(fill: string): '#000000' | '#ffffff' {
  return luminance(fill) > 0.5 ? '#000000' : '#ffffff';
}

export interface HeatmapOptions {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xTicks: readonly string[];
  readonly yTicks: readonly string[];
  /** values[i][j]: row i from the bottom (yTicks[i]), column j (xTicks[j]); null = missing. */
  readonly values: readonly (readonly (number | null)[])[];
  /** Cells outlined (e.g. the oracle's pick) and dotted (the default point). */
  readonly outlined?: readonly (readonly boolean[])[];
  readonly dotted?: readonly (readonly boolean[])[];
  readonly outlinedLabel?: string;
  readonly dottedLabel?: string;
  readonly colorbarLabel: string;
  readonly format?: (v: number) => string;
  /** A fixed colour scale (e.g. [0.5, 1] for AUROC, so figures compare); else the values' own range. */
  readonly domain?: readonly [number, number];
  /**
   * The narrowest colour range drawn from the values (default HEATMAP_MIN_SPAN):
   * cells that differ in the sixth decimal get nearly one colour, not the two
   * ends of the scale.
   */
  readonly minSpan?: number;
}

/** Default minimum span of a heatmap's colour scale: AUROC is read to three decimals. */
export const HEATMAP_MIN_SPAN = 0.02;

/** The fixed AUROC scale: chance to perfect. */
export const AUROC_DOMAIN: readonly [number, number] = [0.5, 1];

/** The colour range of a heatmap: the fixed domain, else the values' range widened about its middle to `minSpan`. */
export function colorDomain(
  values: readonly number[],
  opts: { domain?: readonly [number, number]; minSpan?: number } = {},
): [number, number] {
  if (opts.domain) return [opts.domain[0], opts.domain[1]];
  const span = Math.max(opts.minSpan ?? HEATMAP_MIN_SPAN, 1e-9);
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi - lo >= span) return [lo, hi];
  const mid = (lo + hi) / 2;
  return [mid - span / 2, mid + span / 2];
}

export function heatmap(o: HeatmapOptions): string {
  const fs = 12;
  const nx = o.xTicks.length;
  const ny = o.yTicks.length;
  const cw = Math.max(44, Math.min(90, 560 / Math.max(nx, 1)));
  const ch = Math.max(26, Math.min(54, 380 / Math.max(ny, 1)));
  const yTickW = Math.max(...o.yTicks.map((t) => textWidth(t, fs)), 20);
  const pw = nx * cw;
  const ph = ny * ch;
  const bh = Math.max(ph, 120); // colour bar height: readable even for a one-row grid
  const fmt = o.format ?? ((v: number) => v.toFixed(3));

  const flat = o.values.flat().filter((v): v is number => v !== null);
  const [lo, hi] = colorDomain(flat, o);
  const t = (v: number) => (v - lo) / (hi - lo);
  const cticks = niceTicks(lo, hi, 4).filter((v) => v >= lo - 1e-12 && v <= hi + 1e-12);
  const ctickLabels = cticks.map((v) => tickText(v, cticks));
  // The colour bar's label stands clear of its widest tick label.
  const ctickW = Math.max(0, ...ctickLabels.map((s) => textWidth(s, 10)));
  const barLabelDx = 14 + 7 + ctickW + 8 + 8; // bar, tick, gap, label's half height (12 px rotated)
  const m = { left: 40 + yTickW + 10, top: o.subtitle ? 66 : 48, right: 24 + barLabelDx + 16 };
  // The marks' legend goes below both the x label and the colour bar (a narrow grid's bar reaches under the cells).
  const legendTop = m.top + Math.max(ph + 62, bh + 30);
  const legendRows = (o.outlinedLabel ? 1 : 0) + (o.dottedLabel ? 1 : 0);
  const legendW = Math.max(textWidth(o.outlinedLabel ?? '', fs), textWidth(o.dottedLabel ?? '', fs)) + 30;
  const W = Math.ceil(
    Math.max(
      m.left + pw + m.right,
      m.left + legendW + 10,
      textWidth(o.title, 15) + 40,
      textWidth(o.subtitle ?? '', fs) + 40,
      480,
    ),
  );
  const H = Math.ceil(legendTop + Math.max(0, legendRows - 1) * 18 + 16);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}" font-size="${fs}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text class="title" x="${n2(W / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
  );
  if (o.subtitle)
    out.push(
      `<text class="subtitle" x="${n2(W / 2)}" y="44" text-anchor="middle" fill="#444444">${escapeXml(o.subtitle)}</text>`,
    );
  out.push('<g class="cells">');
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const v = o.values[i]?.[j] ?? null;
      const x = m.left + j * cw;
      const y = m.top + ph - (i + 1) * ch;
      if (v === null) {
        out.push(
          `<rect class="cell missing" x="${n2(x)}" y="${n2(y)}" width="${n2(cw)}" height="${n2(ch)}" fill="#eeeeee" stroke="#ffffff"/>`,
          `<text x="${n2(x + cw / 2)}" y="${n2(y + ch / 2 + 4)}" text-anchor="middle" fill="#999999">—</text>`,
        );
        continue;
      }
      const fill = viridis(t(v));
      out.push(
        `<rect class="cell" x="${n2(x)}" y="${n2(y)}" width="${n2(cw)}" height="${n2(ch)}" fill="${fill}" stroke="#ffffff"/>`,
        `<text x="${n2(x + cw / 2)}" y="${n2(y + ch / 2 + 4)}" text-anchor="middle" font-size="${cw < 50 ? 10 : 11}" fill="${textOn(fill)}">${escapeXml(fmt(v))}</text>`,
      );
    }
  }
  out.push('</g>', '<g class="marks">');
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const x = m.left + j * cw;
      const y = m.top + ph - (i + 1) * ch;
      if (o.outlined?.[i]?.[j])
        out.push(
          `<rect class="outlined" x="${n2(x + 1.5)}" y="${n2(y + 1.5)}" width="${n2(cw - 3)}" height="${n2(ch - 3)}" fill="none" stroke="#d62728" stroke-width="3"/>`,
        );
      if (o.dotted?.[i]?.[j])
        out.push(
          `<circle class="dotted" cx="${n2(x + cw - 10)}" cy="${n2(y + 10)}" r="4" fill="#ffffff" stroke="#000000"/>`,
        );
    }
  }
  out.push('</g>');
  // Axes: tick labels under/left of the cells.
  out.push('<g class="x-axis">');
  o.xTicks.forEach((s, j) => {
    const x = m.left + j * cw + cw / 2;
    out.push(
      `<line x1="${n2(x)}" x2="${n2(x)}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333333"/>`,
      `<text class="tick" x="${n2(x)}" y="${m.top + ph + 18}" text-anchor="middle" font-size="${cw < 56 ? 10 : 11}">${escapeXml(s)}</text>`,
    );
  });
  out.push('</g>', '<g class="y-axis">');
  o.yTicks.forEach((s, i) => {
    const y = m.top + ph - i * ch - ch / 2;
    out.push(
      `<line x1="${m.left - 5}" x2="${m.left}" y1="${n2(y)}" y2="${n2(y)}" stroke="#333333"/>`,
      `<text class="tick" x="${m.left - 8}" y="${n2(y + 4)}" text-anchor="end">${escapeXml(s)}</text>`,
    );
  });
  out.push('</g>');
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${n2(pw)}" height="${n2(ph)}" fill="none" stroke="#333333"/>`,
    `<text class="axis-label x" x="${n2(m.left + pw / 2)}" y="${m.top + ph + 40}" text-anchor="middle" font-size="13">${escapeXml(o.xLabel)}</text>`,
    `<text class="axis-label y" x="0" y="0" transform="translate(18 ${n2(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(o.yLabel)}</text>`,
  );
  // Colour bar with its ticks and label.
  const bx = m.left + pw + 24;
  const steps = 32;
  out.push('<g class="colorbar">');
  for (let k = 0; k < steps; k++) {
    out.push(
      `<rect x="${bx}" y="${n2(m.top + bh - ((k + 1) * bh) / steps)}" width="14" height="${n2(bh / steps + 0.5)}" fill="${viridis((k + 0.5) / steps)}"/>`,
    );
  }
  out.push(`<rect x="${bx}" y="${m.top}" width="14" height="${n2(bh)}" fill="none" stroke="#333333"/>`);
  cticks.forEach((v, k) => {
    const y = m.top + bh - t(v) * bh;
    out.push(
      `<line x1="${bx + 14}" x2="${bx + 18}" y1="${n2(y)}" y2="${n2(y)}" stroke="#333333"/>`,
      `<text class="tick" x="${bx + 21}" y="${n2(y + 4)}" font-size="10">${escapeXml(ctickLabels[k]!)}</text>`,
    );
  });
  out.push(
    `<text class="axis-label colorbar" x="0" y="0" transform="translate(${n2(bx + barLabelDx)} ${n2(m.top + bh / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(o.colorbarLabel)}</text>`,
    '</g>',
  );
  // Legend of the marks, under the x label.
  out.push('<g class="legend">');
  let ly = legendTop;
  if (o.outlinedLabel) {
    out.push(
      `<g class="legend-item"><rect x="${m.left}" y="${ly - 10}" width="18" height="12" fill="none" stroke="#d62728" stroke-width="3"/><text x="${m.left + 26}" y="${ly}">${escapeXml(o.outlinedLabel)}</text></g>`,
    );
    ly += 18;
  }
  if (o.dottedLabel) {
    out.push(
      `<g class="legend-item"><circle cx="${m.left + 9}" cy="${ly - 4}" r="3.5" fill="#ffffff" stroke="#000000"/><text x="${m.left + 26}" y="${ly}">${escapeXml(o.dottedLabel)}</text></g>`,
    );
  }
  out.push('</g>', '</svg>');
  return `${out.join('\n')}\n`;
}
