// Gunzip of a data file's bytes that a signal can stop. zlib's one-shot
// gunzip runs on the thread pool and cannot be cancelled: a stop during the
// decoding of a large file waited for all of it. Here the bytes go through a
// streaming Gunzip, with the signal checked after every input and output chunk,
// so a stop lands within one chunk of work (well under a second) whatever the
// compression ratio: zlib emits at most OUT_CHUNK bytes per step.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** Compressed bytes fed to zlib between two checks of the signal. */
const IN_CHUNK = 1 << 20;
/** Decompressed bytes zlib hands back per step (its chunkSize). */
const OUT_CHUNK = 1 << 18;

export interface GunzipProgress {
  /** Compressed bytes handed to zlib so far. */
  readonly read: number;
  readonly total: number;
  /** Decompressed bytes so far. */
  readonly written: number;
}

export interface GunzipOptions {
  /** Stops the decoding; the promise then rejects with the signal's reason, as is. */
  readonly signal?: AbortSignal;
  /** Called after each input chunk is taken by zlib (tests count these). */
  readonly onProgress?: (p: GunzipProgress) => void;
}

/**
 * The gunzipped content of `bytes` (every gzip member, as zlib.gunzip). A
 * corrupt or truncated stream rejects with zlib's error; the caller names the file.
 */
export async function gunzipAbortable(bytes: Uint8Array, opts: GunzipOptions = {}): Promise<Buffer> {
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  const parts: Buffer[] = [];
  let written = 0;
  let read = 0;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += IN_CHUNK) {
        signal?.throwIfAborted();
        const chunk = bytes.subarray(i, Math.min(i + IN_CHUNK, bytes.length));
        // A generator resumes when the stream wants more: the previous chunk was taken.
        if (i > 0) onProgress?.({ read, total: bytes.length, written });
        read = i + chunk.length;
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      written += chunk.length;
      done(signal?.aborted ? signal.reason : undefined);
    },
  });
  try {
    await pipeline(source, createGunzip({ chunkSize: OUT_CHUNK }), sink, signal ? { signal } : {});
  } catch (err) {
    // pipeline wraps an abort in its own AbortError: the contract is the signal's reason, as is.
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
  onProgress?.({ read, total: bytes.length, written });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, written);
}
