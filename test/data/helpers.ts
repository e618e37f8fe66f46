// Test helpers: files written in the real formats, in a fresh temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A temp dir removed when the test file finishes. */
export function tempDir(prefix = 'iae-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const DTYPE_CODE = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e } as const;
const DTYPE_BYTES = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 } as const;

/** The bytes of an IDX file, written by hand from the format description (big-endian). */
export function idxBytes(dtype: keyof typeof DTYPE_CODE, dims: number[], values: ArrayLike<number>): Buffer {
  const header = 4 + 4 * dims.length;
  const buf = Buffer.alloc(header + values.length * DTYPE_BYTES[dtype]);
  buf[2] = DTYPE_CODE[dtype];
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < values.length; i++) {
    const o = header + i * DTYPE_BYTES[dtype];
    const v = values[i];
    if (dtype === 'u8') buf.writeUInt8(v, o);
    else if (dtype === 'i8') buf.writeInt8(v, o);
    else if (dtype === 'i16') buf.writeInt16BE(v, o);
    else if (dtype === 'i32') buf.writeInt32BE(v, o);
    else if (dtype === 'f32') buf.writeFloatBE(v, o);
    else buf.writeDoubleBE(v, o);
  }
  return buf;
}

/** Rank-based AUROC (anomaly = positive), ties averaged; for checking that data is learnable. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) (nPos++, (sumPos += ranks[i]));
  const nNeg = labels.length - nPos;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
