import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { DatasetError } from '../errors/index.js';

/** Whether a path exists (file or folder); never throws. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** What the readers take besides their own settings. */
export interface ReadOptions {
  /** Aborts a read between chunks (and a multi-file reader between files). */
  readonly signal?: AbortSignal;
}

/** Bytes read between two checks of the signal. */
const READ_CHUNK = 1 << 24;

function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** The refusal of a path that stat says is not a regular file (a FIFO, socket, device, folder). */
export function notRegular(path: string, s: Stats, fix: string): DatasetError {
  return new DatasetError(
    `is ${kindOf(s)}, not a regular file: data are read only from regular files (a pipe or device can block or never end); ${fix}`,
    path,
  );
}

/**
 * The bytes of a data file, refusing anything but a regular file. The type is
 * checked by stat before the file is opened (opening a FIFO for reading blocks
 * until a writer comes), then again on the opened handle, which is opened
 * non-blocking so that a path swapped for a FIFO in between cannot block
 * either. Reads in chunks and stops with the signal's reason between them.
 * `fix` ends the messages: what the user should do about this file.
 */
export async function readDataFile(path: string, fix: string, opts: ReadOptions = {}): Promise<Buffer> {
  opts.signal?.throwIfAborted();
  let fh: FileHandle;
  try {
    const before = await stat(path);
    if (!before.isFile()) throw notRegular(path, before, fix);
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(`cannot read: ${(err as Error).message}; ${fix}`, path, { cause: err });
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw notRegular(path, s, fix);
    const out = Buffer.allocUnsafe(s.size);
    let done = 0;
    while (done < out.length) {
      const { bytesRead } = await fh.read(out, done, Math.min(READ_CHUNK, out.length - done), done);
      if (bytesRead === 0) break; // the file shrank while we read it: what is there is checked by the parser
      done += bytesRead;
      opts.signal?.throwIfAborted();
    }
    return done === out.length ? out : out.subarray(0, done);
  } catch (err) {
    if (err instanceof DatasetError || opts.signal?.aborted) throw err;
    throw new DatasetError(`cannot read: ${(err as Error).message}; ${fix}`, path, { cause: err });
  } finally {
    await fh.close();
  }
}
