// Decode once, share everywhere.
//
// loadDatasetShared returns a RawDataset whose typed arrays live in
// SharedArrayBuffers: passed to worker threads in workerData (or a message),
// they are shared, not copied, so N workers cost one copy of the data.
// A decoded data set is also kept on disk (one file per data set and input
// fingerprint, sha256-checked), read straight into shared memory, so the next
// process skips decoding (minutes for MVTec's PNGs). A cache file that fails
// its checksum or does not parse is rebuilt, never trusted.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { makeDirs } from '../fs/mkdirs.js';
import { join, resolve } from 'node:path';
import { locateCifar10, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, CIFAR10_META_FILE } from './cifar10.js';
import { locateFashionMnist } from './fashion-mnist.js';
import { loadDataset, type DatasetSpec } from './load.js';
import { locateMvtec } from './mvtec.js';
import type { ImageSet, RawDataset } from './types.js';

/**
 * Bump when a reader's output changes, so old cache files stop matching.
 * 2: MVTec AD's classes are the table's 15 categories, a partial copy keeping their indices.
 */
export const CACHE_FORMAT_VERSION = 2;
const MAGIC = Buffer.from('IAEDATA1', 'ascii');

type Typed = Uint8Array | Float32Array;

function sharedCopy<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  // By element type, not a.constructor: a Buffer (a Uint8Array subclass from
  // fs) must become a plain Uint8Array, as structured clone would make it.
  const sab = new SharedArrayBuffer(a.byteLength);
  const out = a instanceof Float32Array ? new Float32Array(sab) : new Uint8Array(sab);
  out.set(a);
  return out as T;
}

function shareSet(s: ImageSet): ImageSet {
  return {
    ...s,
    images: sharedCopy(s.images),
    labels: sharedCopy(s.labels),
    ...(s.anomaly ? { anomaly: sharedCopy(s.anomaly) } : {}),
  };
}

/** The same data set with every typed array in a SharedArrayBuffer (arrays already shared are kept). */
export function toShared(raw: RawDataset): RawDataset {
  return { ...raw, train: shareSet(raw.train), test: shareSet(raw.test) };
}

/** True when every typed array of the data set is in shared memory. */
export function isShared(raw: RawDataset): boolean {
  const sets = [raw.train, raw.test];
  return sets.every(
    (s) =>
      s.images.buffer instanceof SharedArrayBuffer &&
      s.labels.buffer instanceof SharedArrayBuffer &&
      (!s.anomaly || s.anomaly.buffer instanceof SharedArrayBuffer),
  );
}

// ---------------------------------------------------------------- cache file

interface ArrayEntry {
  readonly key: string;
  readonly dtype: 'u8' | 'f32';
  readonly offset: number;
  readonly bytes: number;
}

interface CacheHeader {
  readonly version: number;
  readonly name: string;
  readonly classNames: readonly string[];
  readonly source: string;
  readonly preprocessing?: RawDataset['preprocessing'];
  readonly sets: Record<'train' | 'test', { n: number; height: number; width: number; channels: number }>;
  readonly arrays: readonly ArrayEntry[];
  readonly payloadBytes: number;
  readonly sha256: string;
}

const align8 = (n: number) => (n + 7) & ~7;

function arraysOf(raw: RawDataset): [string, Typed][] {
  const out: [string, Typed][] = [];
  for (const name of ['train', 'test'] as const) {
    const s = raw[name];
    out.push([`${name}.images`, s.images], [`${name}.labels`, s.labels]);
    if (s.anomaly) out.push([`${name}.anomaly`, s.anomaly]);
  }
  return out;
}

const bytesOf = (a: Typed) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Write the cache file atomically (temp file + rename), so a reader never sees half a file. */
export async function writeCache(path: string, raw: RawDataset): Promise<void> {
  const arrays: ArrayEntry[] = [];
  let offset = 0;
  const hash = createHash('sha256');
  for (const [key, a] of arraysOf(raw)) {
    arrays.push({ key, dtype: a instanceof Float32Array ? 'f32' : 'u8', offset, bytes: a.byteLength });
    const pad = align8(a.byteLength) - a.byteLength;
    hash.update(bytesOf(a));
    if (pad) hash.update(new Uint8Array(pad));
    offset += align8(a.byteLength);
  }
  const set = (s: ImageSet) => ({ n: s.n, height: s.height, width: s.width, channels: s.channels });
  const header: CacheHeader = {
    version: CACHE_FORMAT_VERSION,
    name: raw.name,
    classNames: raw.classNames,
    source: raw.source,
    ...(raw.preprocessing ? { preprocessing: raw.preprocessing } : {}),
    sets: { train: set(raw.train), test: set(raw.test) },
    arrays,
    payloadBytes: offset,
    sha256: hash.digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(align8(MAGIC.length + 4 + json.length));
  MAGIC.copy(head, 0);
  head.writeUInt32LE(json.length, MAGIC.length);
  json.copy(head, MAGIC.length + 4);
  // Not mkdir's recursive option: it loops for ever under /proc (src/fs/mkdirs.ts).
  makeDirs(resolve(path, '..'));
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(head);
    for (const [, a] of arraysOf(raw)) {
      await fh.write(bytesOf(a));
      const pad = align8(a.byteLength) - a.byteLength;
      if (pad) await fh.write(new Uint8Array(pad));
    }
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/**
 * Read a cache file straight into one SharedArrayBuffer. Returns undefined,
 * never throws, when the file is missing, does not parse, or fails its
 * checksum: the caller rebuilds it. `why` receives the reason.
 */
export async function readCache(path: string, why?: (reason: string) => void): Promise<RawDataset | undefined> {
  let fh;
  try {
    // Non-blocking, so that a FIFO in the cache's place cannot hang the start; it is then refused below.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      why?.('not a regular file');
      return undefined;
    }
    const size = st.size;
    const pre = Buffer.alloc(MAGIC.length + 4);
    if (
      size < pre.length ||
      (await fh.read(pre, 0, pre.length, 0)).bytesRead !== pre.length ||
      !pre.subarray(0, MAGIC.length).equals(MAGIC)
    ) {
      why?.('not a data cache file');
      return undefined;
    }
    const jsonLen = pre.readUInt32LE(MAGIC.length);
    if (MAGIC.length + 4 + jsonLen > size) {
      why?.('header is cut short');
      return undefined;
    }
    const json = Buffer.alloc(jsonLen);
    await fh.read(json, 0, jsonLen, MAGIC.length + 4);
    const header = JSON.parse(json.toString('utf8')) as CacheHeader;
    if (header.version !== CACHE_FORMAT_VERSION) {
      why?.(`format version ${header.version}, expected ${CACHE_FORMAT_VERSION}`);
      return undefined;
    }
    const start = align8(MAGIC.length + 4 + jsonLen);
    if (size !== start + header.payloadBytes) {
      why?.(`size ${size} bytes, expected ${start + header.payloadBytes}`);
      return undefined;
    }
    const sab = new SharedArrayBuffer(header.payloadBytes);
    const payload = new Uint8Array(sab);
    for (let done = 0; done < payload.length;) {
      const { bytesRead } = await fh.read(payload, done, Math.min(payload.length - done, 1 << 26), start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    const digest = createHash('sha256').update(payload).digest('hex');
    if (digest !== header.sha256) {
      why?.('checksum mismatch');
      return undefined;
    }
    const arrays = new Map<string, Typed>();
    for (const e of header.arrays) {
      arrays.set(
        e.key,
        e.dtype === 'f32' ? new Float32Array(sab, e.offset, e.bytes / 4) : new Uint8Array(sab, e.offset, e.bytes),
      );
    }
    const set = (name: 'train' | 'test'): ImageSet => {
      const anomaly = arrays.get(`${name}.anomaly`) as Uint8Array | undefined;
      return {
        ...header.sets[name],
        images: arrays.get(`${name}.images`)!,
        labels: arrays.get(`${name}.labels`) as Uint8Array,
        ...(anomaly ? { anomaly } : {}),
      };
    };
    return {
      name: header.name,
      classNames: header.classNames,
      source: header.source,
      ...(header.preprocessing ? { preprocessing: header.preprocessing } : {}),
      train: set('train'),
      test: set('test'),
    };
  } catch (err) {
    why?.(`unreadable (${(err as Error).message})`);
    return undefined;
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------- fingerprint

async function walk(dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/** The files a data set is decoded from; throws the reader's "not found" DatasetError when absent. */
export async function inputFiles(spec: DatasetSpec): Promise<string[]> {
  switch (spec.name) {
    case 'fashion-mnist':
      return Object.values((await locateFashionMnist(spec.dir)).files);
    case 'cifar10': {
      const dir = await locateCifar10(spec.dir);
      return [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, CIFAR10_META_FILE].map((f) => join(dir, f));
    }
    case 'mvtec': {
      const { root, categories } = await locateMvtec(spec.dir);
      const files: string[] = [];
      for (const c of categories) {
        for (const sub of ['train', 'test']) {
          // A missing test folder is the reader's error to report, with its fix.
          await walk(join(root, c, sub), files).catch(() => undefined);
        }
      }
      return files.filter((f) => /\.png$/i.test(f)).sort();
    }
    case 'wtbi':
      return [spec.file ? resolve(spec.file) : resolve(spec.dir ?? 'data/wtbi', 'wtbi.csv')];
    default:
      return [];
  }
}

/** A key that changes when the data set, its files (path, size, mtime) or the cache format change. */
export async function cacheKey(spec: DatasetSpec): Promise<string> {
  const files = await inputFiles(spec);
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: CACHE_FORMAT_VERSION, name: spec.name }));
  for (const f of files) {
    try {
      const s = await stat(f);
      h.update(`\n${f}\t${s.size}\t${s.mtimeMs}`);
    } catch {
      h.update(`\n${f}\tmissing`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

export interface SharedLoadOptions {
  /** Folder of cache files; null = no disk cache. Default: .cache/data under the working directory. */
  readonly cacheDir?: string | null;
  /** Told what happened: "cache hit", "cache rebuilt: checksum mismatch" ... */
  readonly log?: (message: string) => void;
  /** Aborts reading the data set's files. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_DATA_CACHE_DIR = '.cache/data';

/** The cache file a spec maps to. */
export async function cachePath(spec: DatasetSpec, cacheDir: string): Promise<string> {
  return join(resolve(cacheDir), `${spec.name}-${await cacheKey(spec)}.bin`);
}

/** Load a data set into shared memory, through the disk cache (see the file header). */
export async function loadDatasetShared(spec: DatasetSpec, opts: SharedLoadOptions = {}): Promise<RawDataset> {
  const cacheDir = opts.cacheDir === undefined ? DEFAULT_DATA_CACHE_DIR : opts.cacheDir;
  if (cacheDir === null) return toShared(await loadDataset(spec, { signal: opts.signal }));
  const path = await cachePath(spec, cacheDir);
  let reason: string | undefined;
  const hit = await readCache(path, (r) => (reason = r));
  if (hit) {
    opts.log?.(`data cache hit: ${path}`);
    return hit;
  }
  const raw = toShared(await loadDataset(spec, { signal: opts.signal }));
  if (reason) {
    opts.log?.(`data cache rebuilt (${reason}): ${path}`);
    await unlink(path).catch(() => undefined);
  }
  try {
    await writeCache(path, raw);
  } catch (err) {
    // A read-only or full disk costs only the next start's time: keep going.
    opts.log?.(`data cache not written (${(err as Error).message}): ${path}`);
  }
  return raw;
}
