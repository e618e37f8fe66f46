import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError } from '../../src/errors/index.js';
import { loadDataset } from '../../src/data/index.js';
import { prepareTrialData } from '../../src/data/prepare.js';
import { readWtbi, windowStarts } from '../../src/data/wtbi.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

/**
 * 70 rows: 0..39 normal (40 rows: 15 windows of 26), 40..67 icing (28 rows:
 * 3 windows), 68..69 normal (2 rows: none). 26 measurements m0..m25:
 *   m0 = 1 on row 20 only (a spike), m1 = row index, m2 = 100 - 2 * row,
 *   others (row * (j + 3)) % 11, plus time, group and label columns.
 */
function csv(rows = 70, edit?: (cells: string[][]) => void): string {
  const header = ['time', ...Array.from({ length: 26 }, (_, j) => `m${j}`), 'group', 'label'];
  const body = Array.from({ length: rows }, (_, r) => [
    `2017-01-01 00:${String(r).padStart(2, '0')}:00`,
    r === 20 ? '1' : '0',
    String(r),
    String(100 - 2 * r),
    ...Array.from({ length: 23 }, (_, j) => String((r * (j + 6)) % 11)),
    '7',
    r >= 40 && r < 68 ? '1' : '0',
  ]);
  edit?.(body);
  return [header, ...body].map((l) => l.join(',')).join('\r\n') + '\r\n';
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Hand values after min-max and the 11-row centred mean (window shrinks at the file's edges). */
const n = 70;
const rowsIn = (r: number) => [Math.max(0, r - 5), Math.min(n - 1, r + 5)];
// m0: min-max keeps the spike at 1; the mean over rows lo..hi is 1/(hi-lo+1) when row 20 is inside.
const m0 = (r: number) => {
  const [lo, hi] = rowsIn(r);
  return lo <= 20 && 20 <= hi ? 1 / (hi - lo + 1) : 0;
};
// m1 = r / 69 after min-max; the mean of r over lo..hi is (lo+hi)/2.
const m1 = (r: number) => {
  const [lo, hi] = rowsIn(r);
  return (lo + hi) / 2 / 69;
};
// m2 = 100 - 2r, min -38 (r=69), max 100: (100 - 2r + 38) / 138 = 1 - r/69.
const m2 = (r: number) => 1 - m1(r);

describe('WTBI CSV reader', () => {
  it('min-max, 11-row centred mean, 26-row windows per run, padded by 3, 70/30 split', async () => {
    const file = write('ok.csv', csv());
    const { dataset: ds, counts } = await readWtbi(file);
    assert.deepEqual(
      { ...counts, columns: counts.columns.length },
      { rows: 70, columns: 26, normalWindows: 15, icingWindows: 3, train: 10, test: 8 },
    );
    assert.deepEqual([ds.train.n, ds.train.height, ds.train.width, ds.train.channels], [10, 32, 32, 1]);
    assert.deepEqual(Array.from(ds.test.labels), [0, 0, 0, 0, 0, 1, 1, 1]);
    assert.equal(ds.preprocessing, 'identity');
    // Recover each window's start row from m1 at its first row, then check every cell of columns m0..m2 and the padding.
    const starts = (images: Float32Array | Uint8Array, count: number) =>
      Array.from({ length: count }, (_, k) => {
        const w = images.subarray(k * 1024, (k + 1) * 1024);
        const start = Array.from({ length: 60 }, (_, s) => s).find((s) => Math.abs(w[3 * 32 + 4] - m1(s)) < 1e-6)!;
        for (let y = 0; y < 32; y++)
          for (let x = 0; x < 32; x++) {
            const v = w[y * 32 + x];
            if (y < 3 || y >= 29 || x < 3 || x >= 29) assert.equal(v, 0, `padding (${y},${x})`);
          }
        for (let r = 0; r < 26; r++) {
          const row = start + r;
          for (const [c, f] of [
            [0, m0],
            [1, m1],
            [2, m2],
          ] as const) {
            const got = w[(3 + r) * 32 + 3 + c];
            assert.ok(Math.abs(got - f(row)) < 1e-6, `window at ${start}, row ${row}, m${c}: ${got} vs ${f(row)}`);
          }
        }
        return start;
      });
    const train = starts(ds.train.images, 10);
    const test = starts(ds.test.images, 8);
    // The normal windows start at rows 0..14 and the icing ones at 40..42; each exactly once.
    assert.deepEqual(
      [...train, ...test.slice(0, 5)].sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => i),
    );
    assert.deepEqual(test.slice(5), [40, 41, 42]);
    // The split is seeded: the same file gives the same split; another seed another.
    const again = await readWtbi(file);
    assert.deepEqual(Buffer.from(again.dataset.train.images.buffer), Buffer.from(ds.train.images.buffer));
    const other = await readWtbi(file, { splitSeed: 5 });
    assert.notDeepEqual(Buffer.from(other.dataset.train.images.buffer), Buffer.from(ds.train.images.buffer));
    // A trial: normal class 0, values as stored.
    const d = prepareTrialData(await loadDataset({ name: 'wtbi', file }), {
      normalClass: 0,
      seed: 0,
      contamination: 0,
      minmax: 'train',
    });
    assert.deepEqual([d.nTrain, d.nTest, d.height], [10, 8, 32]);
    assert.deepEqual(Array.from(d.testY), [0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it('windows never cross a change of flag', () => {
    const labels = Uint8Array.from([0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    assert.deepEqual(windowStarts(labels, 3), { normal: [0, 7, 8], icing: [3, 4] });
  });

  it('selects measurement columns by name or position', async () => {
    const file = write('sel.csv', csv());
    const { dataset, counts } = await readWtbi(file, { measurements: ['m2', 1] });
    assert.deepEqual(counts.columns, ['m2', 'm0']);
    // 2 columns: padded left by (32 - 2) / 2 = 15; row 0 of the window is row 3
    const w = dataset.test.images.subarray(0, 1024);
    assert.equal(w[3 * 32 + 14], 0);
    assert.equal(w[3 * 32 + 17], 0);
    assert.ok(w[3 * 32 + 15] > 0);
  });

  const rejects = async (text: string, opts: Parameters<typeof readWtbi>[1], ...fragments: string[]) => {
    const file = write(`bad-${fragments[0].replace(/\W/g, '')}.csv`, text);
    await assert.rejects(readWtbi(file, opts), (err: unknown) => {
      assert.ok(err instanceof DatasetError, String(err));
      for (const f of [file, ...fragments]) assert.ok(err.message.includes(f), `"${f}" not in: ${err.message}`);
      return true;
    });
  };

  it('rejects a non-numeric cell naming file, line and column', async () => {
    await rejects(
      csv(70, (b) => (b[9][3] = 'n/a')),
      {},
      ':11 column "m2"',
      '"n/a" is not a number',
    );
    await rejects(
      csv(70, (b) => (b[4][5] = '')),
      {},
      ':6 column "m4"',
    );
  });

  it('rejects a bad flag, a short row, a missing column, too few rows', async () => {
    await rejects(
      csv(70, (b) => (b[0][28] = '2')),
      {},
      ':2 column "label"',
      'not 0 or 1',
    );
    await rejects(
      csv(70, (b) => b[2].pop()),
      {},
      ':4',
      '28 cells',
      'header has 29',
    );
    await rejects(csv(), { labelColumn: 'icing_flag' }, ':1', 'no icing-flag column "icing_flag"');
    await rejects(csv(), { measurements: ['m1', 'wind_speed'] }, ':1', 'no measurement column "wind_speed"');
    await rejects(csv(), { measurements: [40] }, ':1', 'at position 40');
    await rejects(csv().replace('label', 'state'), {}, ':1', 'no icing-flag column');
    await rejects(csv(30), {}, '5 normal and 0 icing windows');
  });
});
