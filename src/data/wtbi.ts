// WTBI (wind-turbine blade icing): one CSV, rows in time order, with a time
// column, an optional group column, measurement columns (26 in the paper) and
// a 0/1 icing flag. docs/recipe.md, "Data":
//   1. drop time and group; min-max each measurement column over the file
//      (a constant column becomes 0);
//   2. smooth each column with a centred moving average over 11 rows (5 before,
//      5 after). Edges: the window shrinks to the rows that exist (row 0 is the
//      mean of rows 0..5), as pandas rolling(11, center=True, min_periods=1);
//      no row is dropped, so window counts depend only on the labels. The
//      smoothing runs over the whole file, across label changes, as the recipe
//      orders it (smooth, then cut);
//   3. cut windows of 26 consecutive rows x all measurement columns, stride 1,
//      inside each maximal run of rows with the same flag (a window never spans
//      normal and icing rows), and zero-pad them to 32x32 (3 each side for 26);
//   4. train = floor(70%) of the normal windows (seeded shuffle), test = the
//      other normal windows (file order) then every icing window (file order).
// In RawDataset: classes ['normal', 'icing'], Float32 windows (h = time, w =
// measurement), preprocessing 'identity' (the values are final).
import { resolve } from 'node:path';
import { DatasetError } from '../errors/index.js';
import { DATASETS } from '../study/datasets.js';
import { readDataFile, type ReadOptions } from './fs.js';
import { deriveSeed, mulberry32, shuffleInPlace } from './random.js';
import type { RawDataset } from './types.js';

// Class names and padded side: the data-set table (src/study/datasets.ts).
export const WTBI_CLASSES = DATASETS.wtbi.classes;
/** Side of the square a window is padded to (default of WtbiOptions.padTo). */
export const WTBI_SIDE = DATASETS.wtbi.side;

export interface WtbiOptions extends ReadOptions {
  /** Time column, dropped (default "time"; absent in the file is fine). */
  readonly timeColumn?: string;
  /** Group column, dropped (default "group"; absent in the file is fine). */
  readonly groupColumn?: string;
  /** The 0/1 icing flag (default: the first of "label", "icing", "is_icing", "ice" present). */
  readonly labelColumn?: string;
  /** Measurement columns by header name or 0-based position (default: every other column, in file order). */
  readonly measurements?: readonly (string | number)[];
  /** Rows per window (default 26). */
  readonly windowRows?: number;
  /** Rows in the moving average, odd (default 11). */
  readonly smoothRows?: number;
  /** Windows are zero-padded to this square side (default 32). */
  readonly padTo?: number;
  /** Fraction of normal windows for training (default 0.7). */
  readonly trainFraction?: number;
  /** Seed of the train/test split of normal windows (default 0). */
  readonly splitSeed?: number;
}

export interface WtbiCounts {
  readonly rows: number;
  readonly columns: readonly string[];
  readonly normalWindows: number;
  readonly icingWindows: number;
  readonly train: number;
  readonly test: number;
}

const LABEL_CANDIDATES = ['label', 'icing', 'is_icing', 'ice'];

/** Split one CSV line (double quotes with "" escapes; no newlines inside fields). */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

export interface WtbiTable {
  readonly columns: readonly string[];
  /** rows x columns, row-major. */
  readonly values: Float64Array;
  readonly labels: Uint8Array;
  readonly rows: number;
}

/** Parse the CSV text into the measurement table and flags. Pure; `file` names errors. */
export function parseWtbiCsv(text: string, file: string, opts: WtbiOptions = {}): WtbiTable {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new DatasetError('empty file: expected a header line and data rows', file);
  const headerLine = lines[0].replace(/\r$/, '').replace(/^\uFEFF/, '');
  const delimiter = headerLine.includes(',')
    ? ','
    : headerLine.includes(';')
      ? ';'
      : headerLine.includes('\t')
        ? '\t'
        : ',';
  const header = splitCsvLine(headerLine, delimiter).map((h) => h.trim());
  const where = (line: number, col?: string) => `${file}:${line}${col !== undefined ? ` column "${col}"` : ''}`;
  const findCol = (name: string) => header.indexOf(name);

  const timeName = opts.timeColumn ?? 'time';
  const groupName = opts.groupColumn ?? 'group';
  let labelIdx: number;
  if (opts.labelColumn !== undefined) {
    labelIdx = findCol(opts.labelColumn);
    if (labelIdx < 0) {
      throw new DatasetError(
        `no icing-flag column "${opts.labelColumn}"; the header has: ${header.join(', ')}; fix the label column name`,
        where(1),
      );
    }
  } else {
    labelIdx = header.findIndex((h) => LABEL_CANDIDATES.includes(h.toLowerCase()));
    if (labelIdx < 0) {
      throw new DatasetError(
        `no icing-flag column (looked for ${LABEL_CANDIDATES.join(', ')}); the header has: ${header.join(', ')}; ` +
          'name the 0/1 column "label" or pass labelColumn',
        where(1),
      );
    }
  }
  const dropped = new Set([labelIdx, findCol(timeName), findCol(groupName)].filter((i) => i >= 0));
  let measIdx: number[];
  if (opts.measurements) {
    measIdx = opts.measurements.map((m) => {
      const i = typeof m === 'number' ? m : findCol(m);
      if (typeof m === 'number' ? !(Number.isInteger(m) && m >= 0 && m < header.length) : i < 0) {
        throw new DatasetError(
          `no measurement column ${typeof m === 'number' ? `at position ${m} (the header has ${header.length} columns, 0..${header.length - 1})` : `"${m}"`}; ` +
            `the header has: ${header.join(', ')}; fix the measurement columns`,
          where(1),
        );
      }
      if (dropped.has(i))
        throw new DatasetError(`column "${header[i]}" is the time, group or flag column, not a measurement`, where(1));
      return i;
    });
  } else {
    measIdx = header.map((_, i) => i).filter((i) => !dropped.has(i));
  }
  if (measIdx.length === 0)
    throw new DatasetError('no measurement columns left after dropping time, group and flag', where(1));

  const rows = lines.length - 1;
  const nc = measIdx.length;
  const values = new Float64Array(rows * nc);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const lineNo = r + 2;
    const cells = splitCsvLine(lines[r + 1].replace(/\r$/, ''), delimiter);
    if (cells.length !== header.length) {
      throw new DatasetError(`${cells.length} cells, the header has ${header.length}; fix the row`, where(lineNo));
    }
    const flag = cells[labelIdx].trim();
    const f = Number(flag);
    if (flag === '' || (f !== 0 && f !== 1)) {
      throw new DatasetError(`icing flag "${flag}" is not 0 or 1; fix the cell`, where(lineNo, header[labelIdx]));
    }
    labels[r] = f;
    for (let c = 0; c < nc; c++) {
      const cell = cells[measIdx[c]].trim();
      const v = Number(cell);
      if (cell === '' || !Number.isFinite(v)) {
        throw new DatasetError(`"${cell}" is not a number; fix or drop the row`, where(lineNo, header[measIdx[c]]));
      }
      values[r * nc + c] = v;
    }
  }
  return { columns: measIdx.map((i) => header[i]), values, labels, rows };
}

/** Min-max each column to [0, 1] in place; a constant column becomes 0. */
export function minMaxColumnsInPlace(values: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < rows; r++) {
      const v = values[r * cols + c];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    for (let r = 0; r < rows; r++) values[r * cols + c] = range > 0 ? (values[r * cols + c] - min) / range : 0;
  }
}

/** Centred moving average over `span` rows (odd), shrinking at the edges. Returns a new array. */
export function movingAverageColumns(values: Float64Array, rows: number, cols: number, span: number): Float64Array {
  const half = (span - 1) >> 1;
  const out = new Float64Array(values.length);
  const prefix = new Float64Array(rows + 1);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) prefix[r + 1] = prefix[r] + values[r * cols + c];
    for (let r = 0; r < rows; r++) {
      const lo = Math.max(0, r - half);
      const hi = Math.min(rows - 1, r + half);
      out[r * cols + c] = (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1);
    }
  }
  return out;
}

/** Start rows of every window of `len` rows, stride 1, inside runs of equal labels; grouped by label. */
export function windowStarts(labels: Uint8Array, len: number): { normal: number[]; icing: number[] } {
  const normal: number[] = [];
  const icing: number[] = [];
  let runStart = 0;
  for (let r = 1; r <= labels.length; r++) {
    if (r < labels.length && labels[r] === labels[runStart]) continue;
    const target = labels[runStart] ? icing : normal;
    for (let s = runStart; s + len <= r; s++) target.push(s);
    runStart = r;
  }
  return { normal, icing };
}

/** Read and window a WTBI CSV (see the file header). */
export async function readWtbi(
  file: string,
  opts: WtbiOptions = {},
): Promise<{ dataset: RawDataset; counts: WtbiCounts }> {
  const path = resolve(file);
  const fix = "set the study's dataset.file to the CSV with time, measurement and 0/1 icing columns";
  const text = (await readDataFile(path, fix, opts)).toString('utf8');
  return windowWtbi(parseWtbiCsv(text, path, opts), path, opts);
}

/** Steps 1-4 on a parsed table. Pure. */
export function windowWtbi(
  table: WtbiTable,
  source: string,
  opts: WtbiOptions = {},
): { dataset: RawDataset; counts: WtbiCounts } {
  const winRows = opts.windowRows ?? 26;
  const span = opts.smoothRows ?? 11;
  const side = opts.padTo ?? WTBI_SIDE;
  const frac = opts.trainFraction ?? 0.7;
  const nc = table.columns.length;
  if (span < 1 || span % 2 === 0) throw new DatasetError(`smoothRows ${span} must be odd and positive`, source);
  if (winRows > side || nc > side) {
    throw new DatasetError(
      `windows of ${winRows} rows x ${nc} columns do not fit in ${side}x${side}; select at most ${side} measurement columns`,
      source,
    );
  }
  const values = Float64Array.from(table.values);
  minMaxColumnsInPlace(values, table.rows, nc);
  const smooth = movingAverageColumns(values, table.rows, nc, span);
  const starts = windowStarts(table.labels, winRows);
  if (starts.normal.length === 0 || starts.icing.length === 0) {
    throw new DatasetError(
      `${starts.normal.length} normal and ${starts.icing.length} icing windows of ${winRows} rows: need both ` +
        '(each needs a run of that many consecutive rows with the same flag); check the icing column',
      source,
    );
  }
  const shuffled = shuffleInPlace([...starts.normal], mulberry32(deriveSeed('wtbi-split', opts.splitSeed ?? 0)));
  const nTrain = Math.floor(starts.normal.length * frac + 1e-9);
  const trainStarts = shuffled.slice(0, nTrain).sort((a, b) => a - b);
  const testNormal = shuffled.slice(nTrain).sort((a, b) => a - b);
  const top = (side - winRows) >> 1;
  const left = (side - nc) >> 1;
  const per = side * side;
  const cut = (list: readonly number[]): Float32Array => {
    const out = new Float32Array(list.length * per);
    list.forEach((s, k) => {
      for (let r = 0; r < winRows; r++) {
        for (let c = 0; c < nc; c++) out[k * per + (top + r) * side + left + c] = smooth[(s + r) * nc + c];
      }
    });
    return out;
  };
  const testStarts = [...testNormal, ...starts.icing];
  const trainImages = cut(trainStarts);
  const testImages = cut(testStarts);
  const testLabels = new Uint8Array(testStarts.length);
  testLabels.fill(1, testNormal.length);
  const counts: WtbiCounts = {
    rows: table.rows,
    columns: table.columns,
    normalWindows: starts.normal.length,
    icingWindows: starts.icing.length,
    train: trainStarts.length,
    test: testStarts.length,
  };
  return {
    dataset: {
      name: 'wtbi',
      classNames: WTBI_CLASSES,
      train: {
        images: trainImages,
        labels: new Uint8Array(trainStarts.length),
        n: trainStarts.length,
        height: side,
        width: side,
        channels: 1,
      },
      test: { images: testImages, labels: testLabels, n: testStarts.length, height: side, width: side, channels: 1 },
      source,
      preprocessing: 'identity',
    },
    counts,
  };
}

/** WTBI for loadDataset: the CSV is `file`, or wtbi.csv in `dir`, or data/wtbi/wtbi.csv. */
export async function loadWtbi(spec: { dir?: string; file?: string }, opts: WtbiOptions = {}): Promise<RawDataset> {
  const file = spec.file ?? (spec.dir ? resolve(spec.dir, 'wtbi.csv') : resolve('data/wtbi/wtbi.csv'));
  return (await readWtbi(file, opts)).dataset;
}
