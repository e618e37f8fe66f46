// Test helpers: files written in the real formats, in a fresh temp dir.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { FASHION_MNIST_FILES } from '../../src/data/fashion-mnist.js';

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
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    nPos++;
    sumPos += ranks[i];
  }
  const nNeg = labels.length - nPos;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * A PNG written by hand from the specification (signature, IHDR, one IDAT
 * with filter byte 0 per row, IEND), independent of the decoder under test.
 * channels 1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA; 8-bit.
 */
export function pngBytes(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: ArrayLike<number>): Buffer {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const row = width * channels;
  const raw = Buffer.alloc(height * (row + 1));
  for (let y = 0; y < height; y++) for (let i = 0; i < row; i++) raw[y * (row + 1) + 1 + i] = pixels[y * row + i];
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A ustar archive written by hand from the format (512-byte headers, octal fields, checksum). */
export function tarBytes(files: { name: string; data: Uint8Array }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 100, 'utf8');
    h.write('0000644\0', 100, 'ascii');
    h.write('0000000\0', 108, 'ascii');
    h.write('0000000\0', 116, 'ascii');
    h.write(f.data.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    h.write('00000000000\0', 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h[156] = 0x30; // '0': regular file
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    blocks.push(h, Buffer.from(f.data), Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A FIFO (named pipe) at `path`, made with the system's mkfifo: no writer ever opens it, so opening it to read would block forever. */
export function makeFifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/** A Fashion-MNIST folder whose training images are a FIFO (the three other files tiny and valid); returns the FIFO's path. */
export function fashionMnistWithFifo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, FASHION_MNIST_FILES.trainLabels), idxBytes('u8', [1], [0]));
  writeFileSync(join(dir, FASHION_MNIST_FILES.testImages), idxBytes('u8', [1, 28, 28], new Uint8Array(784)));
  writeFileSync(join(dir, FASHION_MNIST_FILES.testLabels), idxBytes('u8', [1], [0]));
  return makeFifo(join(dir, FASHION_MNIST_FILES.trainImages));
}
