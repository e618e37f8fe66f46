// The figures are valid XML with the expected series, legend entries and
// axis labels; PNG (where @resvg/resvg-js loads) has the expected size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { heatmap, linePlot, niceTicks, viridis } from '../../src/report/svg.js';
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
        { name: 'a <b> & "c"', points: [{ x: 1, y: 0.5 }, { x: 2, y: 0.6 }] },
        { name: 'B', points: [{ x: 1, y: 0.7 }], dashed: true },
        { name: 'C', points: [{ x: 1, y: 0.4 }, { x: 3, y: 0.9 }] },
      ],
      xInteger: true,
    });
    const els = root(svg);
    assert.deepEqual(byClass(els, 'series').map((e) => e.attrs['data-name']), ['a <b> & "c"', 'B', 'C']);
    assert.equal(byClass(els, 'legend-item').length, 3);
    assert.deepEqual(byClass(els, 'axis-label').map((e) => e.text), ['joint epoch', 'AUROC']);
    assert.equal(byClass(els, 'title')[0]!.text, 'T');
    // Whole epochs only on the x axis.
    const xTicks = els.filter((e) => e.attrs['class'] === 'tick' && e.attrs['text-anchor'] === 'middle').map((e) => e.text);
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
    assert.deepEqual(byClass(els, 'axis-label').map((e) => e.text), ['λ_KL', 'λ_rec', 'AUROC']);
    assert.ok(els.some((e) => e.name === 'text' && e.text === '0.900'));
    assert.ok(els.some((e) => e.name === 'text' && e.text === '—'));
    assert.equal(byClass(els, 'legend-item').length, 2);
  });

  it('round ticks and the colour map', () => {
    assert.deepEqual(niceTicks(0.8, 0.95, 3), [0.8, 0.85, 0.9, 0.95]);
    assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
    assert.equal(viridis(0), '#440154');
    assert.equal(viridis(1), '#fde725');
    assert.deepEqual([fmtParam(1e-5), fmtParam(0.001), fmtParam(0.1), fmtParam(5.112), fmtParam(1e4), fmtParam(null)], ['1e-5', '1e-3', '0.1', '5.112', '1e4', 'n/a']);
  });
});

describe('figures from a report', () => {
  const { study, summary } = studyOf({
    name: 'fig',
    dataset: { name: 'cifar10' },
    grid: { model: ['CAE', 'IAE-LSTM-KL'], normalClass: [0, 1], boundary: ['hard', 'soft'], lambdaKl: [0.001, 0.1], nu: [0.1], contamination: [0, 0.1, 0.2] },
  });
  const trials = trialsFor(study, (p) => {
    const v = 0.7 + 0.05 * p.normalClass - p.contamination + (p.lambdaKl === 0.1 ? 0.02 : 0);
    return p.model === 'CAE' ? { auroc: { rec: v - 0.1 }, history: { rec: [v - 0.2, v - 0.1] } } : { auroc: { svdd: v }, history: { svdd: [v - 0.05, v] } };
  });
  const m = buildReport({ study: summary, trials }, { select: 'oracle' });

  it('Fig. 4: one series per row, epochs on x', () => {
    const els = root(fig4(m).svg);
    assert.deepEqual(byClass(els, 'series').map((e) => e.attrs['data-name']), ['CAE', 'IAE-LSTM-KL(h)', 'IAE-LSTM-KL(s)']);
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
