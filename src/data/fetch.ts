// Downloading data sets: HTTP(S) with resume, checksums, progress; and a
// minimal tar reader for the CIFAR-10 archive. IO at the edges of the data
// folder; the CLI (src/data/cli.ts) composes these.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DatasetError } from '../errors/index.js';
import { exists } from './fs.js';
import { makeDirs } from '../fs/mkdirs.js';

export interface Checksum {
  readonly algorithm: 'sha256' | 'md5';
  readonly hex: string;
  /** 'file': the bytes as downloaded; 'gunzip': the bytes after gunzip (stable across recompressed mirrors). */
  readonly of: 'file' | 'gunzip';
}

export interface DownloadProgress {
  readonly url: string;
  /** Bytes of the file on disk so far (resumed bytes included). */
  readonly received: number;
  /** Full size when the server said, else undefined. */
  readonly total?: number;
  /** Bytes that came from an earlier, interrupted attempt. */
  readonly resumedFrom: number;
}

export interface DownloadOptions {
  readonly checksum?: Checksum;
  readonly onProgress?: (p: DownloadProgress) => void;
  /** Attempts after a dropped connection, each resuming where the last stopped (default 5). */
  readonly retries?: number;
  /** Milliseconds before the first retry; doubles each time (default 500). */
  readonly retryDelayMs?: number;
  /** Milliseconds without a byte before an attempt counts as dropped (default 30000). */
  readonly idleTimeoutMs?: number;
}

class Dropped extends Error {}

/** Hash of a file as stored, or of its gunzipped content. */
export async function fileChecksum(
  path: string,
  algorithm: Checksum['algorithm'],
  of: Checksum['of'],
): Promise<string> {
  const hash = createHash(algorithm);
  const input = createReadStream(path);
  const stream = of === 'gunzip' ? input.pipe(createGunzip()) : input;
  await new Promise<void>((res, rej) => {
    input.on('error', rej);
    stream.on('error', rej);
    stream.on('data', (c: Buffer) => hash.update(c));
    stream.on('end', () => res());
  });
  return hash.digest('hex');
}

function getOnce(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((res, rej) => {
    const req = lib.get(url, { headers }, res);
    req.on('error', rej);
  });
}

/** GET following up to 5 redirects. */
async function get(url: string, headers: Record<string, string>): Promise<{ res: http.IncomingMessage; url: string }> {
  let current = url;
  for (let hop = 0; hop < 6; hop++) {
    const res = await getOnce(current, headers);
    const loc = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
      res.resume();
      current = new URL(loc, current).toString();
      continue;
    }
    return { res, url: current };
  }
  throw new DatasetError('more than 5 redirects', url);
}

/** One attempt: append to `part` from its current size. Resolves when complete; throws Dropped on a cut. */
async function attempt(url: string, part: string, opts: DownloadOptions): Promise<void> {
  let have = 0;
  try {
    have = (await stat(part)).size;
  } catch {
    have = 0;
  }
  const { res } = await get(url, have > 0 ? { Range: `bytes=${have}-` } : {}).catch((err: NodeJS.ErrnoException) => {
    // A name that does not resolve will not resolve in a second either: no retries.
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
      throw new DatasetError(
        `cannot resolve the host "${new URL(url).hostname}" (${err.code}): check the address (--url) and that this machine has network and DNS`,
        url,
      );
    }
    throw new Dropped(err.message);
  });
  const status = res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // Range not satisfiable: the part already holds the whole file.
    res.resume();
    return;
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    const fix =
      status === 404
        ? 'the file is not at this address: check the mirror (--base-url)'
        : 'try again later or use another mirror';
    throw new DatasetError(`HTTP ${status} ${res.statusMessage ?? ''}; ${fix}`.replace(/ ;/, ';'), url);
  }
  let start = have;
  if (status === 200 && have > 0) start = 0; // the server ignored Range: start over
  let total: number | undefined;
  const len = Number(res.headers['content-length']);
  if (Number.isFinite(len)) total = start + len;
  const range = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
  if (status === 206 && range) total = Number(range[1]);
  const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
  let received = start;
  opts.onProgress?.({ url, received, total, resumedFrom: start });
  await new Promise<void>((resolveP, rejectP) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      res.destroy();
      out.end(() => rejectP(err));
    };
    res.setTimeout(opts.idleTimeoutMs ?? 30000, () => fail(new Dropped('no data for too long')));
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
      opts.onProgress?.({ url, received, total, resumedFrom: start });
    });
    res.on('aborted', () => fail(new Dropped('connection dropped')));
    res.on('error', (err) => fail(new Dropped(err.message)));
    out.on('error', (err) => fail(new DatasetError(`cannot write: ${err.message}`, part)));
    let ended = false;
    res.on('close', () => {
      if (!ended) fail(new Dropped('connection closed before the end of the body'));
    });
    res.on('end', () => {
      ended = true;
      if (settled) return;
      if (total !== undefined && received < total)
        return fail(new Dropped(`connection closed at ${received} of ${total} bytes`));
      settled = true;
      out.end(() => resolveP());
    });
  });
}

/**
 * Runs `fn`, which may create `dir`; when it fails, the folders it created
 * that are still empty are removed again (a failed fetch leaves no empty
 * data/fashion-mnist behind; one holding a .part to resume stays).
 */
export async function removingEmptyOnFailure<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  // The folders that do not exist yet, deepest first.
  const created: string[] = [];
  for (let d = resolve(dir); !(await exists(d)); d = dirname(d)) {
    created.push(d);
    if (dirname(d) === d) break;
  }
  try {
    return await fn();
  } catch (err) {
    for (const d of created) {
      const empty = await readdir(d).then(
        (e) => e.length === 0,
        () => false,
      );
      if (!empty) break;
      await rmdir(d).catch(() => undefined);
    }
    throw err;
  }
}

/**
 * Download `url` to `dest`. Bytes go to `dest.part` first; a dropped
 * connection is retried with a Range request from where it stopped (also
 * across runs: a .part left by an earlier run is resumed). The checksum, when
 * given, is checked before `dest` appears; a mismatch deletes the part.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  makeDirs(dirname(dest));
  const part = `${dest}.part`;
  const retries = opts.retries ?? 5;
  let delay = opts.retryDelayMs ?? 500;
  for (let n = 0; ; n++) {
    try {
      await attempt(url, part, opts);
      break;
    } catch (err) {
      if (!(err instanceof Dropped)) throw err;
      if (n >= retries) {
        // Promise a resume only where there are bytes to resume from.
        const kept = await stat(part).then(
          (s) => s.size,
          () => 0,
        );
        const again = kept > 0 ? `run the fetch again to resume from ${part} (${kept} bytes)` : 'run the fetch again';
        throw new DatasetError(`download failed after ${retries + 1} attempts (${err.message}); ${again}`, url);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
  if (opts.checksum) {
    const { algorithm, hex, of } = opts.checksum;
    let got: string;
    try {
      got = await fileChecksum(part, algorithm, of);
    } catch (err) {
      await unlink(part).catch(() => undefined);
      throw new DatasetError(
        `downloaded file is not valid gzip (${(err as Error).message}); deleted it, run the fetch again`,
        url,
      );
    }
    if (got !== hex.toLowerCase()) {
      await unlink(part).catch(() => undefined);
      throw new DatasetError(
        `checksum mismatch: ${algorithm}${of === 'gunzip' ? ' of the gunzipped content' : ''} is ${got}, expected ${hex}; ` +
          'the download is corrupt (deleted it): run the fetch again, or use another mirror',
        url,
      );
    }
  }
  await rename(part, dest);
}

// ---------------------------------------------------------------- tar

export interface TarEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

function tarString(block: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && block[end] !== 0) end++;
  return Buffer.from(block.subarray(start, end)).toString('utf8');
}

/**
 * Regular files of a tar archive (ustar and GNU long names). Pure. `where`
 * names the archive in errors.
 */
export function readTar(bytes: Uint8Array, where: string): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= bytes.length) {
    const h = bytes.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    const stored = parseInt(tarString(h, 148, 8).trim() || '0', 8);
    if (stored !== sum)
      throw new DatasetError(
        `tar header at byte ${off} fails its checksum; the archive is corrupt, fetch it again`,
        where,
      );
    const size = parseInt(tarString(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = tarString(h, 257, 6) === 'ustar' ? tarString(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${tarString(h, 0, 100)}` : tarString(h, 0, 100));
    longName = undefined;
    const dataStart = off + 512;
    if (dataStart + size > bytes.length) {
      throw new DatasetError(
        `tar entry "${name}" is cut short (${size} bytes declared); fetch the archive again`,
        where,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    if (type === 'L') longName = tarString(data, 0, size);
    else if (type === '0' || type === '7') out.push({ name, data });
    off = dataStart + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Write the entries whose names pass `keep` under `destDir`, refusing paths that leave it. */
export async function extractEntries(
  entries: readonly TarEntry[],
  destDir: string,
  keep: (name: string) => boolean,
): Promise<string[]> {
  const written: string[] = [];
  for (const e of entries) {
    if (!keep(e.name)) continue;
    const rel = normalize(e.name);
    if (rel.startsWith('..') || rel.startsWith(sep))
      throw new DatasetError(`archive entry "${e.name}" points outside the folder`, destDir);
    const path = join(destDir, rel);
    makeDirs(dirname(path));
    await writeFile(path, e.data);
    written.push(path);
  }
  return written;
}
