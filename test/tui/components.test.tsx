// The screen's components rendered with ink-testing-library on fixed data:
// the tables show the report model's numbers (the ones `sweep export` prints),
// lines never exceed the width, the live area never exceeds the height, and
// NO_COLOR / ASCII fallbacks hold.
import './fixtures/live-terminal.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type React from 'react';
import { EventEmitter } from 'node:events';
import { until as untilEvent } from './fixtures/until.js';

// Colours must be on in the renderer (chalk decides at import time) so the
// tests can see which ones the theme asks for; the theme itself gets caps.
process.env.FORCE_COLOR = '3';
const { render, cleanup } = await import('ink-testing-library');
const { App } = await import('../../src/tui/components/App.js');
const { BestTable, AblationGrid, RunningTrials, Header, FailedTrials } =
  await import('../../src/tui/components/views.js');
const { UiProvider } = await import('../../src/tui/theme.js');
const { SweepStore } = await import('../../src/tui/store.js');
const { fmt3 } = await import('../../src/report/format.js');
const views = await import('../../src/tui/views.js');
const { navigateGrids, backendSummary } = views;
const { UNICODE_GLYPHS } = await import('../../src/tui/caps.js');
const data = await import('./fixtures/data.js');
import type { Caps } from '../../src/tui/caps.js';
import { hasColour } from './fixtures/sgr.js';

after(() => cleanup());

const COLOR: Caps = { color: true, unicode: true };
const NO_COLOR: Caps = { color: false, unicode: true };
const ASCII: Caps = { color: false, unicode: false };

const ANSI = /\x1b\[[0-9;]*m/g;
const strip = (s: string) => s.replace(ANSI, '');
const lines = (frame: string | undefined) => strip(frame ?? '').split('\n');
/** The rendered app as the tests see it: ink-testing-library's stdout, which records frames. */
interface Rendered {
  readonly stdout: object;
  lastFrame(): string | undefined;
}
const watched = new WeakSet<object>();
/** The app's stdout, made to emit 'frame' after each frame it records (ink-testing-library's stdout emits nothing). */
function frames(r: Rendered): EventEmitter {
  const out = r.stdout as EventEmitter & { write: (frame: string) => void };
  if (!watched.has(out)) {
    watched.add(out);
    const write = out.write;
    out.write = (frame: string) => {
      write(frame);
      out.emit('frame');
    };
  }
  return out;
}
/** Waits until the last frame satisfies `ok` (input is parsed and rendered asynchronously), checked after each frame. */
async function until(r: Rendered, ok: (plain: string) => boolean, what: string): Promise<string> {
  let f = '';
  await untilEvent(frames(r), 'frame', () => ok((f = strip(r.lastFrame() ?? ''))), what, { detail: () => f });
  return f;
}

const trials = data.finishedTrials(200, 3);
const report = data.reportOf(trials);

function renderWith(caps: Caps, node: React.ReactElement) {
  return render(<UiProvider caps={caps}>{node}</UiProvider>);
}

test('best table: paper layout (models as rows, classes + Avg. as columns) with the report model numbers', () => {
  const main = report.tables.find((t) => t.kind === 'main')!;
  const r = renderWith(NO_COLOR, <BestTable report={report} width={100} height={30} />);
  const out = lines(r.lastFrame());
  const header = out.find((l) => l.startsWith('model'))!;
  assert.ok(header, out.join('\n'));
  assert.deepEqual(header.trim().split(/\s+/), ['model', ...main.columns.map((c) => c.label)]);
  for (const row of main.rows) {
    const line = out.find((l) => l.startsWith(row.label + ' '));
    assert.ok(line, `row ${row.label} missing:\n${out.join('\n')}`);
    const shown = line.slice(row.label.length).trim().split(/\s+/);
    const expected = row.cells.map((c) => (c.mean === null ? '-' : fmt3(c.mean)));
    // Marks (†, ‡) follow the number; the number itself is the export's.
    assert.deepEqual(
      shown.map((s) => s.replace(/[†‡]/g, '')),
      expected,
      `row ${row.label}`,
    );
  }
  r.unmount();
});

test('best table: the best of each column is highlighted, in colour and without', () => {
  const main = report.tables.find((t) => t.kind === 'main')!;
  const j = main.columns.findIndex((c) => c.kind === 'class');
  const bestRow = main.rows.find((r) => r.cells[j]!.best)!;
  const bestText = fmt3(bestRow.cells[j]!.mean!);

  const coloured = renderWith(COLOR, <BestTable report={report} width={100} height={30} />).lastFrame()!;
  // Green and bold around the best value.
  assert.match(
    coloured,
    new RegExp(
      `\\x1b\\[32m[^\\n]*?\\x1b\\[1m[^\\n]*?${bestText.replace('.', '\\.')}|\\x1b\\[1m[^\\n]*?\\x1b\\[32m[^\\n]*?${bestText.replace('.', '\\.')}`,
    ),
  );

  const plain = renderWith(NO_COLOR, <BestTable report={report} width={100} height={30} />).lastFrame()!;
  assert.ok(!hasColour(plain), 'NO_COLOR: no colour codes');
  // Bold and underline carry "best" without colour.
  assert.match(plain, /\x1b\[1m/);
  assert.match(plain, /\x1b\[4m/);
});

test('best table: narrow terminal drops class columns from the right, keeps Avg., never wraps', () => {
  const main = report.tables.find((t) => t.kind === 'main')!;
  for (const width of [40, 60, 80, 100]) {
    const r = renderWith(NO_COLOR, <BestTable report={report} width={width} height={30} />);
    const out = lines(r.lastFrame());
    for (const l of out) assert.ok(l.length <= width, `width ${width}: "${l}" (${l.length})`);
    const header = out.find((l) => l.startsWith('model'))!;
    assert.match(header, /Avg\.$/, `width ${width}: Avg. kept`);
    // The first class stays (its header may be shortened: "t-sh…").
    assert.match(
      header,
      new RegExp(`^model +${main.columns[0]!.label.slice(0, 4)}`),
      `width ${width}: first class kept`,
    );
    const shownCols = header.trim().split(/\s+/).length - 1;
    if (width === 40) assert.ok(shownCols < main.columns.length, 'width 40 cannot hold every class');
    if (shownCols < main.columns.length)
      assert.ok(
        out.some((l) => l.startsWith(`${main.columns.length - shownCols} column(s) hidden`)),
        `width ${width}: says columns are hidden`,
      );
    r.unmount();
  }
});

test('ablation grid: AUROC over lambdaKl x lambdaRec as a heat table, nu on pages', () => {
  const nav = navigateGrids(report.grids, {});
  const grid = nav.pages[0]!;
  assert.equal(grid.row.model, 'IAE-LSTM-KL', 'the paper model leads');
  const coloured = renderWith(COLOR, <AblationGrid report={report} want={{}} width={100} height={20} />).lastFrame()!;
  // Heat backgrounds (their scale: the viridis test below).
  assert.match(coloured, /\x1b\[(4[0-7]|10[0-7]|48;[25];[0-9;]+)m/);
  const out = lines(coloured);
  assert.ok(out[0]!.startsWith(`Grid · ${grid.row.label} · 0 t-shirt`), out[0]);
  // Column headers are the lambdaKl values, row headers the lambdaRec values, cells the report's means.
  const header = out.find((l) => l.trim().startsWith('λrec\\λKL'))!;
  assert.ok(header, out.join('\n'));
  assert.deepEqual(header.trim().split(/\s+/).slice(1), grid.x.values.map(String));
  grid.y.values.forEach((y, i) => {
    const line = out.find((l) => l.trim().split(/\s+/)[0] === String(y))!;
    assert.ok(line, `row ${y}`);
    assert.deepEqual(
      line.trim().split(/\s+/).slice(1),
      grid.cells[i]!.map((c) => (c.mean === null ? '-' : fmt3(c.mean))),
    );
  });

  const plain = renderWith(NO_COLOR, <AblationGrid report={report} want={{}} width={100} height={20} />).lastFrame()!;
  assert.ok(!hasColour(plain));
  assert.match(strip(plain), /[·░▒▓█]0\.\d{3}/, 'shade glyphs carry the heat without colour');

  // The soft boundary has nu: one page per value.
  const soft = navigateGrids(report.grids, { rowId: nav.rows.find((r) => r.label === 'IAE-LSTM-KL(s)')!.id, page: 1 });
  assert.equal(soft.pages.length, 2);
  const page2 = lines(
    renderWith(
      NO_COLOR,
      <AblationGrid report={report} want={{ rowId: soft.rowId!, page: 1 }} width={100} height={20} />,
    ).lastFrame(),
  );
  assert.ok(page2[0]!.includes(`IAE-LSTM-KL(s) · 0 t-shirt · ν ${soft.pages[1]!.nu} (page 2/2)`), page2[0]);
});

test('running trials: columns shrink and drop on a narrow terminal; more trials than lines say so', () => {
  const s = data.snapshot();
  const wide = lines(renderWith(NO_COLOR, <RunningTrials snapshot={s} width={100} height={20} />).lastFrame());
  assert.match(wide[0]!, /^w\s+trial\s+model\s+class\s+λKL\s+λrec\s+ν\s+phase\s+epoch\s+AUROC\s+trend/);
  assert.match(wide[1]!, /^w0\s+#999\s+IAE-LSTM-KL\(s\)\s+3 dress\s+0\.01\s+0\.1\s+0\.1\s+joint\s+3\/5\s+0\.780\s+▁▄█/);
  const narrow = lines(renderWith(NO_COLOR, <RunningTrials snapshot={s} width={50} height={20} />).lastFrame());
  for (const l of narrow) assert.ok(l.length <= 50, `"${l}"`);
  assert.match(narrow[0]!, /model/);
  assert.match(narrow[0]!, /AUROC/);
  assert.doesNotMatch(narrow[0]!, /backend|last losses/);
  const short = lines(renderWith(NO_COLOR, <RunningTrials snapshot={s} width={100} height={5} />).lastFrame());
  assert.equal(short.length, 5);
  assert.match(short[4]!, /\+5 more running/);
});

test('header: counts, progress and an ETA honest about the first trial', () => {
  const s = data.snapshot({
    meanSeconds: null,
    costs: null,
    counts: { complete: 0, running: 8, waiting: 262, failed: 0, pruned: 0 },
  });
  const out = lines(renderWith(NO_COLOR, <Header snapshot={s} width={100} />).lastFrame());
  assert.match(out[0]!, /study fixture · fashion-mnist · objective svdd · backend wasm \(8 workers\)/);
  assert.match(out[1]!, /trials 0\/270 done · 8 running · 262 waiting · 0 failed/);
  assert.match(out[2]!, /ETA: after first trial/);
  const later = lines(renderWith(NO_COLOR, <Header snapshot={data.snapshot()} width={100} />).lastFrame());
  assert.match(later[2]!, /14\.8%/);
  assert.match(later[2]!, /ETA: \d/);
  assert.equal(backendSummary(['tensorflow', 'tensorflow', 'wasm', null]), 'backend w0-w1 tensorflow, w2 wasm, w3 ?');
  assert.equal(backendSummary(['wasm', 'wasm']), 'backend wasm (2 workers)');
});

test('header: pruned trials count as done points and are shown', () => {
  const s = data.snapshot({
    meanSeconds: null,
    counts: { complete: 40, running: 8, waiting: 200, failed: 2, pruned: 20 },
  });
  const out = lines(renderWith(NO_COLOR, <Header snapshot={s} width={120} />).lastFrame());
  assert.match(out[1]!, /trials 60\/270 done · 8 running · 200 waiting · 2 failed · 20 pruned/);
  assert.match(out[2]!, /22\.2%/);
});

test('failed trials show their first error line', () => {
  const failed = trials
    .filter((t) => t.state === 3)
    .map((t) => ({ number: t.number, params: t.params, error: 'Error: out of memory on worker 0', at: null }));
  const out = lines(
    renderWith(NO_COLOR, <FailedTrials failed={failed} dataset="fashion-mnist" width={100} height={10} />).lastFrame(),
  );
  assert.match(out[0]!, /3 failed trial\(s\), newest first/);
  assert.match(out[1]!, /✗ #202 .*: Error: out of memory on worker 0$/);
});

test('ASCII fallback: no character outside ASCII anywhere on the screen', async () => {
  const store = new SweepStore(
    data.snapshot({ report, failed: [{ number: 3, params: data.POINTS[0]!.params, error: 'boom', at: null }] }),
  );
  const r = renderWith(ASCII, <App store={store} onQuit={() => {}} width={100} height={30} />);
  const marks: Record<string, RegExp> = {
    '1': /w0 +#999/,
    '2': /AUROC per normal class/,
    '3': /^Grid/m,
    n: /^Grid/m,
    '4': /failed trial/,
  };
  for (const key of ['1', '2', '3', 'n', '4']) {
    r.stdin.write(key);
    const frame = await until(r, (f) => marks[key]!.test(f), `view ${key}`);
    assert.match(frame, /^[\x20-\x7e\n]*$/, `view ${key} has non-ASCII:\n${frame}`);
  }
  r.unmount();
});

test('app: keys switch views, arrows choose model and class, q asks before stopping a sweep', async () => {
  let stops = 0;
  let quits = 0;
  // The callbacks say when they run: the test waits for the call, not for a frame.
  const calls = new EventEmitter();
  const store = new SweepStore(data.snapshot({ report }));
  const r = renderWith(
    NO_COLOR,
    <App
      store={store}
      onQuit={() => (quits++, calls.emit('call'))}
      onStop={() => (stops++, calls.emit('call'))}
      width={100}
      height={30}
    />,
  );
  assert.match(strip(r.lastFrame()!), /w0 +#999/);
  const gridTitle = (f: string) => f.split('\n').find((l) => l.startsWith('Grid')) ?? '';
  r.stdin.write('2');
  await until(r, (f) => /AUROC per normal class/.test(f), 'the best table');
  r.stdin.write('3');
  await until(r, (f) => /IAE-LSTM-KL\(h\) · 0 t-shirt/.test(gridTitle(f)), 'the grid of the paper model, first class');
  r.stdin.write('\x1b[C'); // right: next class
  await until(r, (f) => /IAE-LSTM-KL\(h\) · 1 trouser/.test(gridTitle(f)), 'the next class');
  r.stdin.write('\x1b[B'); // down: next model
  await until(r, (f) => /IAE-LSTM-KL\(s\) · 1 trouser · ν 0\.1 \(page 1\/2\)/.test(gridTitle(f)), 'the next model');
  r.stdin.write('n'); // next nu page
  await until(r, (f) => /ν 0\.5 \(page 2\/2\)/.test(gridTitle(f)), 'the second nu page');
  r.stdin.write('q');
  await until(r, (f) => /Stop the sweep\?/.test(f), 'the stop question');
  r.stdin.write('n');
  await until(r, (f) => !/Stop the sweep\?/.test(f), 'the question to go');
  assert.equal(stops, 0);
  r.stdin.write('q');
  await until(r, (f) => /Stop the sweep\?/.test(f), 'the stop question again');
  r.stdin.write('y');
  await untilEvent(calls, 'call', () => stops === 1, 'stop');
  r.stdin.write('\x03'); // Ctrl-C stops as Ctrl-C does
  await untilEvent(calls, 'call', () => stops === 2, 'Ctrl-C');
  assert.equal(quits, 0);
  r.unmount();
});

test('app (monitor): q leaves at once', async () => {
  let quits = 0;
  const calls = new EventEmitter();
  const store = new SweepStore(data.snapshot({ mode: 'monitor' }));
  const r = renderWith(
    NO_COLOR,
    <App store={store} onQuit={() => (quits++, calls.emit('call'))} width={100} height={30} />,
  );
  r.stdin.write('q');
  await untilEvent(calls, 'call', () => quits === 1, 'quit');
  r.unmount();
});

test('app: the live area stays below the terminal height, finished trials go above it once', async () => {
  const store = new SweepStore(data.snapshot({ report }), 0);
  const r = renderWith(NO_COLOR, <App store={store} onQuit={() => {}} width={100} height={12} />);
  const marks: Record<string, RegExp> = {
    '1': /w0 +#999/,
    '2': /AUROC per normal class/,
    '3': /^Grid/m,
    '4': /no failed trial/,
  };
  for (const key of ['1', '2', '3', '4']) {
    r.stdin.write(key);
    await until(r, (f) => marks[key]!.test(f), `view ${key}`);
    const out = lines(r.lastFrame()).filter((l, i, a) => !(i === a.length - 1 && l === ''));
    assert.ok(out.length <= 11, `view ${key}: ${out.length} lines\n${out.join('\n')}`);
    for (const l of out) assert.ok(l.length <= 99, `view ${key}: "${l}"`);
  }
  const p = data.POINTS[0]!;
  store.update((d) => {
    d.log = [{ key: 'a', kind: 'COMPLETE', number: 7, worker: 2, params: p.params, value: 0.91234, seconds: 61 }];
  });
  store.flush();
  // The flush schedules React's render: wait for a frame with the finished trial, then check every frame.
  const line = /✓ #7 w2 Deep SVDD\(h\) 0 t-shirt AUROC 0\.912 \(1m01s\)/;
  await untilEvent(frames(r), 'frame', () => line.test(strip(r.frames.join('\n'))), 'the finished trial');
  const all = strip(r.frames.join('\n'));
  assert.match(all, line);
  r.unmount();
});

test('app: a terminal too short for the screen gets the counts line alone', () => {
  const store = new SweepStore(data.snapshot());
  const out = lines(renderWith(NO_COLOR, <App store={store} onQuit={() => {}} width={100} height={5} />).lastFrame());
  assert.deepEqual(
    out.filter((l) => l !== ''),
    ['trials 40/270 done · 8 running · 220 waiting · 2 failed'],
  );
});

test('at 80x24 the running table keeps model, class, phase, epoch, AUROC and time whole; backend and losses give way', () => {
  const s = data.snapshot();
  // The App gives views one column less than the terminal.
  for (const width of [79, 59]) {
    const out = lines(renderWith(NO_COLOR, <RunningTrials snapshot={s} width={width} height={20} />).lastFrame());
    assert.match(out[0]!, /model +class .*phase +epoch +AUROC .*time$/, `${width}: ${out[0]}`);
    assert.doesNotMatch(out[0]!, /backend|last losses/);
    assert.match(out[1]!, / joint +3\/5 0\.780 .*5m00s$/);
    for (const l of out) assert.ok(l.length <= width);
    if (width < 79) continue;
    const t = s.running[0]!;
    assert.ok(out[1]!.includes(` ${t.params.model}(s) `), `${width}: the model whole in "${out[1]}"`);
    assert.ok(out[1]!.includes(' 3 dress '), `${width}: the class whole in "${out[1]}"`);
  }
  // Wide enough for all: the extras come back.
  const wide = views.runningLines(s, 200, 20, UNICODE_GLYPHS).map((l) => l.map((x) => x.text).join(''));
  assert.match(wide[0]!, /last losses +time +backend$/);
});

test('the footer: q is the last thing to go; at 60 columns the percentage and ETA stay', () => {
  const { footerLine } = views;
  for (const width of [100, 79, 59, 40, 20, 12]) {
    for (const view of ['running', 'best', 'grid', 'failed'] as const) {
      const text = footerLine(view, 'start', 2, width, UNICODE_GLYPHS)
        .map((x) => x.text)
        .join('');
      assert.ok(text.endsWith('q stop/quit'), `${view} at ${width}: "${text}"`);
      assert.ok(text.length <= width);
    }
  }
  assert.equal(
    footerLine('grid', 'monitor', 0, 50, UNICODE_GLYPHS)
      .map((x) => x.text)
      .join(''),
    '1 running  2 best  3 grid  4 failed  q quit',
  );
  assert.equal(
    footerLine('grid', 'monitor', 0, 20, UNICODE_GLYPHS)
      .map((x) => x.text)
      .join(''),
    '1 2 3 4 q quit',
  );
  for (const width of [59, 79]) {
    const header = lines(renderWith(NO_COLOR, <Header snapshot={data.snapshot()} width={width} />).lastFrame());
    assert.match(header[2]!, /14\.8% · ETA: \d/, `${width}: ${header[2]}`);
  }
});

test('the best table explains † and ‡ under the table, in ASCII too', () => {
  const out = lines(renderWith(NO_COLOR, <BestTable report={report} width={120} height={20} />).lastFrame());
  assert.ok(
    out.some((l) => /†/.test(l) && /\d†/.test(l)),
    'the fixture has unfinished cells',
  );
  const legend = out.find((l) => l.startsWith('† '));
  assert.ok(legend, out.join('\n'));
  assert.match(legend!, /† points\/seeds unfinished \(may change\) {2}‡ fewer classes than the table/);
  const ascii = lines(renderWith(ASCII, <BestTable report={report} width={120} height={20} />).lastFrame());
  assert.ok(
    ascii.some((l) => l.startsWith('* points/seeds unfinished (may change)  + fewer classes')),
    ascii.join('\n'),
  );
  assert.equal(views.marksLegend('', UNICODE_GLYPHS), null);
});

test("heat colours run on the figures' viridis scale, darkest to brightest", async () => {
  const { viridis, luminance } = await import('../../src/report/svg.js');
  const { HEAT_BACKGROUNDS, HEAT_LEVELS } = await import('../../src/tui/theme.js');
  assert.equal(HEAT_BACKGROUNDS.length, HEAT_LEVELS);
  HEAT_BACKGROUNDS.forEach((c, k) => assert.equal(c, viridis((k + 0.5) / HEAT_LEVELS)));
  for (let k = 1; k < HEAT_LEVELS; k++)
    assert.ok(
      luminance(HEAT_BACKGROUNDS[k]!) > luminance(HEAT_BACKGROUNDS[k - 1]!),
      `level ${k} brighter than ${k - 1}`,
    );
  // The lowest and the highest cell of the grid are painted with the lowest and highest level's colour.
  const { Text } = await import('ink');
  const sgrOf = (bg: string) => {
    const f = render(<Text backgroundColor={bg}>x</Text>).lastFrame()!;
    return f.slice(0, f.indexOf('x'));
  };
  const grid = navigateGrids(report.grids, {}).pages[0]!;
  const values = grid.cells
    .flat()
    .map((c) => c.mean)
    .filter((v): v is number => v !== null);
  const frame = renderWith(COLOR, <AblationGrid report={report} want={{}} width={100} height={20} />).lastFrame()!;
  for (const [v, k] of [
    [Math.min(...values), 0],
    [Math.max(...values), HEAT_LEVELS - 1],
  ] as const) {
    // The cell, not the legend's range above it.
    const at = frame.lastIndexOf(fmt3(v));
    assert.ok(at > 0);
    assert.ok(frame.slice(Math.max(0, at - 40), at).includes(sgrOf(HEAT_BACKGROUNDS[k]!)), `${fmt3(v)} on level ${k}`);
  }
});

test('a starting trial says what it does; a cache hit is not called pretraining', () => {
  const { phaseText } = views;
  const t = data.liveTrial(0, { phase: 'starting', epoch: 0, epochs: null, auroc: [], losses: null });
  assert.equal(phaseText({ ...t, backend: null }), 'loading backend');
  assert.equal(phaseText({ ...t, step: 'data' }), 'preparing data');
  assert.equal(phaseText({ ...t, step: 'model' }), 'building model');
  assert.equal(phaseText({ ...t, step: 'cache' }), 'loading cached AE');
  assert.equal(phaseText({ ...t, phase: 'pretrain', cached: true }), 'AE from cache');
  assert.equal(phaseText({ ...t, phase: 'pretrain', cached: false }), 'pretraining');
  assert.equal(phaseText({ ...t, phase: 'joint', cached: true }), 'joint (cached AE)');
  const out = lines(
    renderWith(
      NO_COLOR,
      <RunningTrials snapshot={data.snapshot({ running: [{ ...t, step: 'data' }] })} width={79} height={5} />,
    ).lastFrame(),
  );
  assert.match(out[1]!, /preparing data/);
});

test('monitor: a running trial whose joint epochs have no pretraining epoch before them used the cache', async () => {
  const { liveFromStored } = await import('../../src/tui/model.js');
  const { TrialState } = await import('../../src/trial/state.js');
  const p = data.POINTS[0]!;
  const joint = { phase: 'joint', epoch: 1, total: 0.5 };
  const cachedRun = data.frozen(1, p, TrialState.RUNNING, { userAttrs: { loss_history: [joint] } });
  const builtRun = data.frozen(2, p, TrialState.RUNNING, {
    userAttrs: { loss_history: [{ phase: 'pretrain', epoch: 1, total: 1 }, joint] },
  });
  const a = liveFromStored(cachedRun, 0, data.STUDY, 'svdd', 0);
  const b = liveFromStored(builtRun, 1, data.STUDY, 'svdd', 0);
  assert.equal(a.cached, true);
  assert.equal(views.phaseText(a), 'joint (cached AE)');
  assert.equal(b.cached, false);
  assert.equal(views.phaseText(b), 'joint');
  // A study that does not share pretraining never reads as cached.
  assert.equal(liveFromStored(cachedRun, 0, { ...data.STUDY, pretrainCache: false }, 'svdd', 0).cached, false);
});

test("the heat grid shares the figures' minimum colour span: near-equal cells get one level", () => {
  const nav = navigateGrids(report.grids, {});
  const grid = nav.pages[0]!;
  // Every cell of the page within a millionth of 0.9: one level, the middle one.
  const flat = {
    ...report,
    grids: report.grids.map((g) =>
      g === grid
        ? { ...g, cells: g.cells.map((row, i) => row.map((c, j) => ({ ...c, mean: 0.9 + (i + j) * 1e-7 }))) }
        : g,
    ),
  };
  const out = views.gridLines(flat, {}, 100, 20, UNICODE_GLYPHS, true);
  // Below the title and the legend (whose swatches show every level).
  const levels = new Set(
    out
      .slice(2)
      .flat()
      .filter((s) => s.heat !== undefined && s.heat !== null)
      .map((s) => s.heat),
  );
  assert.deepEqual([...levels], [2]);
});
