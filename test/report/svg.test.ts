// The figures are valid XML with the expected series, legend entries and
// axis labels; PNG (where @resvg/resvg-js loads) has the expected size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUROC_DOMAIN,
  colorDomain,
  HEATMAP_MIN_SPAN,
  heatmap,
  linePlot,
  niceTicks,
  viridis,
} from '../../src/report/svg.js';
import { fig4, fig5, fmtParam, gridFigure } from '../../src/report/figures.js';
import { loadResvg, pngSize, svgToPng } from '../../src/report/png.js';
import { buildReport } from '../../src/report/model.js';
import { byClass, parseXml } from './xml.js';
import { studyOf, trialsFor } from './fixtures.js';

function root(svg: string) {
  const els = parseXml(svg);
  assert.equal(els[0]!.name, 'svg');
  assert.equal(els[0]!.attrs['xmlns'], 'http://www.w3.org/2000/svg');
  return els;
}

describe('svg primitives', () => {
  it('line plot: one group and one legend entry per series, axis labels, escaped names', () => {
    const svg = linePlot({
      title: 'T',
      xLabel: 'joint epoch',
      yLabel: 'AUROC',
      series: [
        {
          name: 'a <b> & "c"',
          points: [
            { x: 1, y: 0.5 },
            { x: 2, y: 0.6 },
          ],
        },
        { name: 'B', points: [{ x: 1, y: 0.7 }], dashed: true },
        {
          name: 'C',
          points: [
            { x: 1, y: 0.4 },
            { x: 3, y: 0.9 },
          ],
        },
      ],
      xInteger: true,
    });
    const els = root(svg);
    assert.deepEqual(
      byClass(els, 'series').map((e) => e.attrs['data-name']),
      ['a <b> & "c"', 'B', 'C'],
    );
    assert.equal(byClass(els, 'legend-item').length, 3);
    assert.deepEqual(
      byClass(els, 'axis-label').map((e) => e.text),
      ['joint epoch', 'AUROC'],
    );
    assert.equal(byClass(els, 'title')[0]!.text, 'T');
    // Whole epochs only on the x axis.
    const xTicks = els
      .filter((e) => e.attrs['class'] === 'tick' && e.attrs['text-anchor'] === 'middle')
      .map((e) => e.text);
    assert.deepEqual(xTicks, ['1', '2', '3']);
    // A single-point series draws no path, only its marker.
    assert.equal(svg.match(/<path /g)!.length, 2);
    assert.match(svg, /stroke-dasharray/);
  });

  it('line plot without data still has axes and says why it is empty', () => {
    const els = root(linePlot({ title: 'T', xLabel: 'x', yLabel: 'y', series: [] }));
    assert.equal(byClass(els, 'series').length, 0);
    assert.ok(els.some((e) => e.text === 'no finished trial yet'));
  });

  it('heatmap: a cell per value, missing cells marked, marks, colour bar and labels', () => {
    const svg = heatmap({
      title: 'grid',
      xLabel: 'λ_KL',
      yLabel: 'λ_rec',
      xTicks: ['1e-3', '0.1', '10'],
      yTicks: ['1', '10'],
      values: [
        [0.7, 0.8, null],
        [0.75, 0.9, 0.6],
      ],
      outlined: [
        [false, false, false],
        [false, true, false],
      ],
      dotted: [
        [true, false, false],
        [false, false, false],
      ],
      outlinedLabel: 'oracle',
      dottedLabel: 'default',
      colorbarLabel: 'AUROC',
    });
    const els = root(svg);
    assert.equal(byClass(els, 'cell').length, 6);
    assert.equal(byClass(els, 'missing').length, 1);
    assert.equal(byClass(els, 'outlined').length, 1);
    assert.equal(byClass(els, 'dotted').length, 1);
    assert.deepEqual(
      byClass(els, 'axis-label').map((e) => e.text),
      ['λ_KL', 'λ_rec', 'AUROC'],
    );
    assert.ok(els.some((e) => e.name === 'text' && e.text === '0.900'));
    assert.ok(els.some((e) => e.name === 'text' && e.text === '—'));
    assert.equal(byClass(els, 'legend-item').length, 2);
  });

  it('round ticks and the colour map', () => {
    assert.deepEqual(niceTicks(0.8, 0.95, 3), [0.8, 0.85, 0.9, 0.95]);
    assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
    assert.equal(viridis(0), '#440154');
    assert.equal(viridis(1), '#fde725');
    assert.deepEqual(
      [fmtParam(1e-5), fmtParam(0.001), fmtParam(0.1), fmtParam(5.112), fmtParam(1e4), fmtParam(null)],
      ['1e-5', '1e-3', '0.1', '5.112', '1e4', 'n/a'],
    );
  });
});

describe('figures from a report', () => {
  const { study, summary } = studyOf({
    name: 'fig',
    dataset: { name: 'cifar10' },
    grid: {
      model: ['CAE', 'IAE-LSTM-KL'],
      normalClass: [0, 1],
      boundary: ['hard', 'soft'],
      lambdaKl: [0.001, 0.1],
      nu: [0.1],
      contamination: [0, 0.1, 0.2],
    },
  });
  const trials = trialsFor(study, (p) => {
    const v = 0.7 + 0.05 * p.normalClass - p.contamination + (p.lambdaKl === 0.1 ? 0.02 : 0);
    return p.model === 'CAE'
      ? { auroc: { rec: v - 0.1 }, history: { rec: [v - 0.2, v - 0.1] } }
      : { auroc: { svdd: v }, history: { svdd: [v - 0.05, v] } };
  });
  const m = buildReport({ study: summary, trials }, { select: 'oracle' });

  it('Fig. 4: one series per row, epochs on x', () => {
    const els = root(fig4(m).svg);
    assert.deepEqual(
      byClass(els, 'series').map((e) => e.attrs['data-name']),
      ['CAE', 'IAE-LSTM-KL(h)', 'IAE-LSTM-KL(s)'],
    );
    assert.equal(byClass(els, 'axis-label')[0]!.text, 'joint training epoch');
  });

  it('Fig. 5: one series per row, a point per contamination ratio', () => {
    const f = fig5(m)!;
    const els = root(f.svg);
    const series = byClass(els, 'series');
    assert.equal(series.length, 3);
    assert.equal(f.svg.split('<circle').length - 1 - 3 /* legend markers */, 3 * 3);
    assert.ok(els.some((e) => e.attrs['class'] === 'tick' && e.text === '20%'));
  });

  it('a heatmap per grid, with the oracle picks outlined', () => {
    const g = m.grids.find((x) => x.row.label === 'IAE-LSTM-KL(h)' && x.normalClass === 1 && x.contamination === 0)!;
    const f = gridFigure(g);
    assert.equal(f.name, 'grid-IAE-LSTM-KL-h-class1-cont0.svg');
    const els = root(f.svg);
    assert.equal(byClass(els, 'cell').length, 2);
    assert.equal(byClass(els, 'outlined').length, 1);
  });

  it('PNG through resvg has twice the SVG size (IHDR)', async (t) => {
    if (!(await loadResvg())) return t.skip('@resvg/resvg-js does not load here');
    const f = fig4(m);
    const w = Number(/width="(\d+)"/.exec(f.svg)![1]);
    const h = Number(/height="(\d+)"/.exec(f.svg)![1]);
    const png = (await svgToPng(f.svg, 2))!;
    assert.deepEqual(pngSize(png), { width: 2 * w, height: 2 * h });
    assert.throws(() => pngSize(new Uint8Array(30)), /not a PNG/);
  });
});

// Bounding boxes of what a heatmap draws, from its SVG (text by the same width
// estimate the layout uses, DejaVu Sans at ~0.6 em a character; ascent 0.8 em).
interface Box {
  readonly what: string;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}
const intersects = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

function textBox(e: { attrs: Readonly<Record<string, string>>; text: string }, inherited = 12): Box {
  const fs = Number(e.attrs['font-size'] ?? inherited);
  const w = e.text.length * fs * 0.6;
  const anchor = e.attrs['text-anchor'] ?? 'start';
  const rot = /translate\(([-\d.]+) ([-\d.]+)\) rotate\(-90\)/.exec(e.attrs['transform'] ?? '');
  if (rot) {
    // Rotated a quarter turn left: the glyphs stand left of the anchor, along y.
    const [tx, ty] = [Number(rot[1]), Number(rot[2])];
    return { what: e.text, x0: tx - 0.8 * fs, x1: tx + 0.2 * fs, y0: ty - w / 2, y1: ty + w / 2 };
  }
  const x = Number(e.attrs['x']);
  const y = Number(e.attrs['y']);
  const x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
  return { what: e.text, x0, x1: x0 + w, y0: y - 0.8 * fs, y1: y + 0.2 * fs };
}

function heatmapBoxes(svg: string) {
  const els = parseXml(svg);
  const size = { w: Number(els[0]!.attrs['width']), h: Number(els[0]!.attrs['height']) };
  const bar = els.find((e) => e.name === 'rect' && e.attrs['width'] === '14' && e.attrs['fill'] === 'none')!;
  const barBox: Box = {
    what: 'colour bar',
    x0: Number(bar.attrs['x']),
    x1: Number(bar.attrs['x']) + 18,
    y0: Number(bar.attrs['y']),
    y1: Number(bar.attrs['y']) + Number(bar.attrs['height']),
  };
  const barTicks = els
    .filter((e) => e.attrs['class'] === 'tick' && e.attrs['font-size'] === '10' && Number(e.attrs['x']) > barBox.x0)
    .map((e) => textBox(e));
  const barLabel = textBox(byClass(els, 'colorbar').find((e) => e.name === 'text')!);
  const xLabel = textBox(els.find((e) => e.attrs['class'] === 'axis-label x')!);
  const legendStart = els.findIndex((e) => e.attrs['class'] === 'legend');
  const legend = els.slice(legendStart).flatMap((e): Box[] => {
    if (e.name === 'text') return [textBox(e)];
    if (e.name === 'rect') {
      const x = Number(e.attrs['x']);
      const y = Number(e.attrs['y']);
      return [
        { what: 'legend box', x0: x, x1: x + Number(e.attrs['width']), y0: y, y1: y + Number(e.attrs['height']) },
      ];
    }
    return [];
  });
  return { size, barBox, barTicks, barLabel, xLabel, legend, els };
}

describe('heatmap layout and colour range', () => {
  const marks = {
    outlinedLabel: "oracle's pick (best final test AUROC) for at least one seed",
    dottedLabel: "the study's defaultPoint",
    colorbarLabel: 'AUROC',
    title: 'IAE-LSTM-KL(h): class 0 (t-shirt)',
    xLabel: 'λ_KL (lambdaKl)',
    yLabel: '',
  };
  const cases = {
    'one cell': { xTicks: ['1e-3'], yTicks: [''], values: [[0.93]] },
    'one row, two columns, nearly equal': { xTicks: ['1e-3', '0.01'], yTicks: [''], values: [[0.9312345, 0.9312351]] },
    'two by three': {
      xTicks: ['1e-3', '0.01', '0.1'],
      yTicks: ['1', '5'],
      values: [
        [0.91, 0.95, 0.62],
        [0.88, 0.97, 0.81],
      ],
    },
    'ticks with four decimals': {
      xTicks: ['1e-3', '0.01'],
      yTicks: [''],
      values: [[0.93112, 0.93131]],
      minSpan: 0.0001,
    },
  };

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: legend, colour bar, its ticks and its label do not overlap`, () => {
      const b = heatmapBoxes(
        heatmap({
          ...marks,
          ...c,
          dotted: c.values.map((r) => r.map((_, j) => j === 0)),
          outlined: c.values.map((r) => r.map(() => true)),
        }),
      );
      assert.ok(b.barTicks.length >= 2, 'the colour bar has ticks');
      assert.equal(b.legend.filter((x) => x.what !== 'legend box').length, 2);
      for (const l of b.legend) {
        for (const other of [b.barBox, b.barLabel, b.xLabel, ...b.barTicks])
          assert.ok(!intersects(l, other), `${name}: legend "${l.what}" overlaps "${other.what}"`);
        assert.ok(l.x1 <= b.size.w && l.y1 <= b.size.h, `${name}: legend "${l.what}" leaves the figure`);
      }
      for (const t of b.barTicks)
        assert.ok(!intersects(b.barLabel, t), `${name}: the colour-bar label overlaps tick "${t.what}"`);
      assert.ok(b.barLabel.x1 <= b.size.w, `${name}: the colour-bar label leaves the figure`);
    });
  }

  it('the colour range is never narrower than the minimum span; a fixed AUROC scale is [0.5, 1]', () => {
    assert.deepEqual(
      colorDomain([0.9312345, 0.9312351]).map((v) => Math.round(v * 1e7) / 1e7),
      [0.9212348, 0.9412348],
    );
    assert.deepEqual(colorDomain([0.8, 0.9]), [0.8, 0.9]);
    assert.deepEqual(colorDomain([0.8, 0.9], { domain: AUROC_DOMAIN }), [0.5, 1]);
    assert.ok(HEATMAP_MIN_SPAN >= 0.01);
    // Two cells a millionth apart get one colour, not the two ends of the scale.
    const fills = (svg: string) =>
      parseXml(svg)
        .filter((e) => e.attrs['class'] === 'cell')
        .map((e) => e.attrs['fill']);
    const near = fills(heatmap({ ...marks, ...cases['one row, two columns, nearly equal'] }));
    assert.equal(near[0], near[1]);
    assert.equal(near[0], viridis(0.5));
    // On the fixed scale, 0.75 sits in the middle of viridis whatever the other cells are.
    assert.deepEqual(
      fills(heatmap({ ...marks, xTicks: ['a', 'b'], yTicks: [''], values: [[0.75, 0.76]], domain: AUROC_DOMAIN }))[0],
      viridis(0.5),
    );
  });

  it('gridFigure takes the fixed AUROC scale on request', () => {
    const { study, summary } = studyOf({
      name: 'hs',
      dataset: { name: 'cifar10' },
      grid: { model: ['IAE-LSTM-KL'], normalClass: [0], boundary: ['hard'], lambdaKl: [0.001, 0.1] },
    });
    const m = buildReport(
      {
        study: summary,
        trials: trialsFor(study, (p) => ({
          auroc: { svdd: p.lambdaKl === 0.1 ? 0.75 : 0.8 },
          history: { svdd: [0.7, 0.75] },
        })),
      },
      { select: 'oracle' },
    );
    const fixed = gridFigure(m.grids[0]!, { heatScale: 'auroc' }).svg;
    assert.match(fixed, /AUROC \(fixed scale 0\.5-1\)/);
    const cells = parseXml(fixed)
      .filter((e) => e.attrs['class'] === 'cell')
      .map((e) => e.attrs['fill']);
    // lambdaKl 0.001 (0.8) then 0.1 (0.75), on the fixed 0.5-1 scale.
    assert.deepEqual(cells, [viridis(0.6), viridis(0.5)]);
  });
});
