// IDX files (the MNIST / Fashion-MNIST container), gzipped or raw.
//
// Layout (big-endian): two zero bytes, one dtype byte, one byte with the
// number of dimensions d, then d uint32 sizes, then the data, row-major.
// We check every part of it, because a truncated download otherwise shows up
// much later as a model that trains on zeros.
import { DatasetError } from '../errors/index.js';
import { readDataFile, type ReadOptions } from './fs.js';
import { gunzipAbortable } from './gunzip.js';

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

const DTYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'u8', bytes: 1 },
  0x09: { dtype: 'i8', bytes: 1 },
  0x0b: { dtype: 'i16', bytes: 2 },
  0x0c: { dtype: 'i32', bytes: 4 },
  0x0d: { dtype: 'f32', bytes: 4 },
  0x0e: { dtype: 'f64', bytes: 8 },
};

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  /** Row-major values in native byte order. For u8 a view on the file's bytes (no copy). */
  readonly data: IdxData;
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const REFETCH = 'the file is damaged or not what its name says: delete it and download it again';

/**
 * Parse IDX bytes (already decompressed). `where` names the file in errors.
 * Pure: no IO.
 */
export function parseIdx(bytes: Uint8Array, where: string): IdxArray {
  if (bytes.length < 4) {
    throw new DatasetError(`not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic; ${REFETCH}`, where);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DatasetError(
      `not an IDX file: magic bytes are ${hex}, expected 00 00 <dtype> <ndims>; ${REFETCH}`,
      where,
    );
  }
  const info = DTYPES[bytes[2]];
  if (!info) {
    throw new DatasetError(
      `unknown IDX dtype 0x${bytes[2].toString(16).padStart(2, '0')} (known: 08 09 0b 0c 0d 0e); ${REFETCH}`,
      where,
    );
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new DatasetError(`IDX header declares 0 dimensions; ${REFETCH}`, where);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DatasetError(
      `truncated IDX header: ${ndims} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}; ${REFETCH}`,
      where,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const dataBytes = count * info.bytes;
  const have = bytes.length - headerBytes;
  if (have < dataBytes) {
    throw new DatasetError(
      `truncated IDX data: dims [${dims.join(', ')}] of ${info.dtype} need ${dataBytes} bytes after the header, ` +
        `the file has ${have}; ${REFETCH}`,
      where,
    );
  }
  if (have > dataBytes) {
    throw new DatasetError(
      `IDX file has ${have - dataBytes} bytes after the data that dims [${dims.join(', ')}] declare; ` +
        `it is not the file it claims to be; ${REFETCH}`,
      where,
    );
  }
  const start = headerBytes;
  let data: IdxData;
  switch (info.dtype) {
    case 'u8':
      // A plain Uint8Array view, not a Buffer: callers and structured clone treat them alike then.
      data = new Uint8Array(bytes.buffer, bytes.byteOffset + start, count);
      break;
    case 'i8':
      data = new Int8Array(bytes.buffer, bytes.byteOffset + start, count);
      break;
    default: {
      // Multi-byte values are big-endian in the file: decode through DataView.
      const out =
        info.dtype === 'i16'
          ? new Int16Array(count)
          : info.dtype === 'i32'
            ? new Int32Array(count)
            : info.dtype === 'f32'
              ? new Float32Array(count)
              : new Float64Array(count);
      for (let i = 0, o = start; i < count; i++, o += info.bytes) {
        out[i] =
          info.dtype === 'i16'
            ? view.getInt16(o, false)
            : info.dtype === 'i32'
              ? view.getInt32(o, false)
              : info.dtype === 'f32'
                ? view.getFloat32(o, false)
                : view.getFloat64(o, false);
      }
      data = out;
    }
  }
  return { dtype: info.dtype, dims, data };
}

/** Bytes of a file (a regular file only, see readDataFile), gunzipped when it starts with the gzip magic. */
export async function readMaybeGzip(path: string, fix = REFETCH, opts: ReadOptions = {}): Promise<Uint8Array> {
  const bytes = await readDataFile(path, fix, opts);
  if (!isGzip(bytes)) return bytes;
  try {
    // Streamed, so that a stop during the decoding of a large file lands within a chunk.
    return await gunzipAbortable(bytes, { signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new DatasetError(`gzip data is corrupt or truncated (${(err as Error).message}); ${fix}`, path, {
      cause: err,
    });
  }
}

/** Read and parse one IDX file (gzip detected by its magic bytes, not its name). */
export async function readIdx(path: string, opts: ReadOptions = {}): Promise<IdxArray> {
  return parseIdx(await readMaybeGzip(path, REFETCH, opts), path);
}
