// The logic of `sweep data list` and `sweep data fetch`, as functions; the
// CLI (src/cli) parses argv, calls these and prints.
import { createHash } from 'node:crypto';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DatasetError } from '../errors/index.js';
import { CIFAR10_META_FILE, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, locateCifar10 } from './cifar10.js';
import {
  download,
  extractEntries,
  fileChecksum,
  readTar,
  removingEmptyOnFailure,
  type Checksum,
  type DownloadProgress,
} from './fetch.js';
import { FASHION_MNIST_FILES, locateFashionMnist } from './fashion-mnist.js';
import { isGzip } from './idx.js';
import { locateMvtec, MVTEC_CATEGORIES } from './mvtec.js';
import { inputFiles } from './shared.js';
import { SYNTHETIC_CLASSES } from './synthetic.js';
import { exists, notRegular, readDataFile } from './fs.js';

const gunzipAsync = promisify(gunzip);

/**
 * sha256 of the decompressed Fashion-MNIST files. Taken from Debian's
 * dataset-fashion-mnist (whose label counts and first labels match the
 * published set); hashing the content, not the .gz, keeps them valid for
 * any mirror that recompressed the files.
 */
export const FASHION_MNIST_CONTENT_SHA256: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};
export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** MD5 of cifar-10-binary.tar.gz as published on the CIFAR page. */
export const CIFAR10_TARBALL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

export const HOW_TO_GET: Readonly<Record<string, string>> = {
  'fashion-mnist': 'sweep data fetch fashion-mnist, or apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR',
  cifar10: 'sweep data fetch cifar10, or unpack cifar-10-binary.tar.gz and set CIFAR10_DIR',
  mvtec:
    'download MVTec AD by hand from https://www.mvtec.com/company/research/datasets/mvtec-ad (licence CC BY-NC-SA 4.0), unpack, set MVTEC_AD_DIR',
  wtbi: 'a CSV with time, 26 measurements and a 0/1 icing flag (not freely distributed); put it at data/wtbi/wtbi.csv or set dataset.file',
  synthetic: 'nothing to get: generated on the fly',
};

export interface DataFileStatus {
  readonly path: string;
  readonly bytes: number;
  /** sha256 of the file as stored (when computed). */
  readonly sha256?: string;
  /** true/false: content checked against a known checksum; absent: no known checksum. */
  readonly verified?: boolean;
}

export interface DataSetStatus {
  readonly name: string;
  readonly found: boolean;
  readonly where?: string;
  readonly files: readonly DataFileStatus[];
  readonly bytes: number;
  /** Why it is missing or broken (the reader's own message). */
  readonly problem?: string;
  readonly howToGet: string;
  /** Extra facts: categories, classes. */
  readonly note?: string;
}

export interface DataListOptions {
  /** Per data set, the folder (or for wtbi the CSV) to look at instead of the search path. */
  readonly dirs?: Readonly<Record<string, string | undefined>>;
  /** Hash the files (default true; MVTec's thousands of images are only counted). */
  readonly checksums?: boolean;
}

async function sha256File(path: string): Promise<string> {
  return fileChecksum(path, 'sha256', 'file');
}

async function contentSha256(path: string): Promise<string> {
  const bytes = await readDataFile(path, 'fetch it again');
  const content = isGzip(bytes) ? await gunzipAsync(bytes) : bytes;
  return createHash('sha256').update(content).digest('hex');
}

async function filesStatus(
  paths: readonly string[],
  checksums: boolean,
  known?: (p: string) => string | undefined,
): Promise<DataFileStatus[]> {
  const out: DataFileStatus[] = [];
  for (const path of paths) {
    let bytes = 0;
    try {
      const st = await stat(path);
      // Hashing reads the file: a FIFO would block the listing for ever.
      if (!st.isFile()) throw notRegular(path, st, 'replace it with the data file');
      bytes = st.size;
    } catch (err) {
      if (err instanceof DatasetError) throw err;
      continue; // optional file (e.g. batches.meta.txt)
    }
    if (!checksums) {
      out.push({ path, bytes });
      continue;
    }
    const sha256 = await sha256File(path);
    const expected = known?.(path);
    const verified = expected === undefined ? undefined : (await contentSha256(path).catch(() => '')) === expected;
    out.push({ path, bytes, sha256, ...(verified === undefined ? {} : { verified }) });
  }
  return out;
}

function missing(name: string, err: unknown): DataSetStatus {
  if (!(err instanceof DatasetError)) throw err;
  return { name, found: false, files: [], bytes: 0, problem: err.message, howToGet: HOW_TO_GET[name] };
}

const total = (files: readonly DataFileStatus[]) => files.reduce((s, f) => s + f.bytes, 0);

/** Every data set: where it is, its size and checksums, or what is missing and how to get it. */
export async function dataList(opts: DataListOptions = {}): Promise<DataSetStatus[]> {
  const checksums = opts.checksums ?? true;
  const dirs = opts.dirs ?? {};
  const out: DataSetStatus[] = [];

  try {
    const loc = await locateFashionMnist(dirs['fashion-mnist']);
    const files = await filesStatus(Object.values(loc.files), checksums, (p) => {
      const base = p.split('/').pop()!.replace(/\.gz$/, '');
      return FASHION_MNIST_CONTENT_SHA256[base];
    });
    out.push({
      name: 'fashion-mnist',
      found: true,
      where: loc.dir,
      files,
      bytes: total(files),
      howToGet: HOW_TO_GET['fashion-mnist'],
    });
  } catch (err) {
    out.push(missing('fashion-mnist', err));
  }

  try {
    const dir = await locateCifar10(dirs.cifar10);
    const files = await filesStatus(
      [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, CIFAR10_META_FILE].map((f) => join(dir, f)),
      checksums,
    );
    const bad = files.find((f) => f.path.endsWith('.bin') && f.bytes % 3073 !== 0);
    out.push({
      name: 'cifar10',
      found: true,
      where: dir,
      files,
      bytes: total(files),
      howToGet: HOW_TO_GET.cifar10,
      ...(bad
        ? { problem: `${bad.path}: ${bad.bytes} bytes is not a whole number of 3073-byte records (truncated)` }
        : {}),
    });
  } catch (err) {
    out.push(missing('cifar10', err));
  }

  try {
    const { root, categories } = await locateMvtec(dirs.mvtec);
    // Size only: hashing thousands of images would make `list` slow.
    const paths = await inputFiles({ name: 'mvtec', dir: root });
    const files = await filesStatus(paths, false);
    out.push({
      name: 'mvtec',
      found: true,
      where: root,
      files: [],
      bytes: total(files),
      howToGet: HOW_TO_GET.mvtec,
      note:
        `${categories.length} of ${MVTEC_CATEGORIES.length} categories (${categories.join(', ')})` +
        (categories.length < MVTEC_CATEGORIES.length
          ? `, without ${MVTEC_CATEGORIES.filter((c) => !categories.includes(c)).join(', ')}`
          : '') +
        `, ${paths.length} images`,
    });
  } catch (err) {
    out.push(missing('mvtec', err));
  }

  const wtbi = resolve(dirs.wtbi ?? 'data/wtbi/wtbi.csv');
  try {
    const wtbiFiles = await filesStatus([wtbi], checksums);
    out.push(
      wtbiFiles.length
        ? {
            name: 'wtbi',
            found: true,
            where: wtbi,
            files: wtbiFiles,
            bytes: total(wtbiFiles),
            howToGet: HOW_TO_GET.wtbi,
          }
        : {
            name: 'wtbi',
            found: false,
            files: [],
            bytes: 0,
            problem: `${wtbi}: no such file`,
            howToGet: HOW_TO_GET.wtbi,
          },
    );
  } catch (err) {
    out.push(missing('wtbi', err));
  }

  out.push({
    name: 'synthetic',
    found: true,
    where: '(generated)',
    files: [],
    bytes: 0,
    howToGet: HOW_TO_GET.synthetic,
    note: `${SYNTHETIC_CLASSES.length} classes, 200/100 images per class`,
  });
  return out;
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** Plain-text rendering of dataList's answer. */
export function formatDataList(list: readonly DataSetStatus[]): string {
  const lines: string[] = [];
  for (const d of list) {
    if (!d.found) {
      lines.push(`${d.name}: missing`, `  ${d.problem ?? ''}`, `  get it: ${d.howToGet}`);
      continue;
    }
    lines.push(`${d.name}: ${d.where}${d.bytes ? `  ${human(d.bytes)}` : ''}${d.problem ? '  BROKEN' : ''}`);
    if (d.note) lines.push(`  ${d.note}`);
    if (d.problem) lines.push(`  ${d.problem}`, `  get it again: ${d.howToGet}`);
    for (const f of d.files) {
      const check = f.verified === true ? '  ok (known checksum)' : f.verified === false ? '  CHECKSUM MISMATCH' : '';
      lines.push(`  ${f.path.split('/').pop()}  ${human(f.bytes)}${f.sha256 ? `  sha256 ${f.sha256}` : ''}${check}`);
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- fetch

export type FetchableDataset = 'fashion-mnist' | 'cifar10';
export const FETCHABLE: readonly FetchableDataset[] = ['fashion-mnist', 'cifar10'];

export interface DataFetchOptions {
  /** Folder to put the data set in (default data/fashion-mnist or data/cifar10). */
  readonly dest?: string;
  /** Mirror: for fashion-mnist the folder URL of the four .gz files, for cifar10 the tarball's URL. */
  readonly url?: string;
  /** Override the known checksums (mirrors, tests): file base name -> checksum. */
  readonly checksums?: Readonly<Record<string, Checksum>>;
  readonly onProgress?: (p: DownloadProgress & { readonly file: string }) => void;
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly idleTimeoutMs?: number;
}

export interface DataFetchResult {
  readonly dir: string;
  /** Nothing was fetched: the data set was found, verified, where `sweep data list` finds it. */
  readonly alreadyThere?: boolean;
  /** Files downloaded this time. */
  readonly downloaded: readonly string[];
  /** Files already present and verified, so not downloaded. */
  readonly kept: readonly string[];
}

/**
 * Download a data set (resume, checksums); afterwards the reader finds it in
 * `dest`. Without `dest`, a copy the readers already find (Debian's
 * Fashion-MNIST, $CIFAR10_DIR ...) that verifies is kept and nothing is
 * downloaded. A failed fetch leaves no folder of its own behind, unless it
 * holds a partial download to resume.
 */
export async function dataFetch(name: string, opts: DataFetchOptions = {}): Promise<DataFetchResult> {
  if (name === 'fashion-mnist')
    return (
      (await foundFashionMnist(opts)) ?? removingEmptyOnFailure(fashionMnistDest(opts), () => fetchFashionMnist(opts))
    );
  if (name === 'cifar10')
    return (await foundCifar10(opts)) ?? removingEmptyOnFailure(cifar10Dest(opts), () => fetchCifar10(opts));
  throw new DatasetError(
    `cannot fetch "${name}": only ${FETCHABLE.join(' and ')} can be downloaded; ${HOW_TO_GET[name] ?? `use one of ${FETCHABLE.join(', ')}`}`,
    'data fetch',
  );
}

const fashionMnistDest = (opts: DataFetchOptions) => resolve(opts.dest ?? 'data/fashion-mnist');
const cifar10Dest = (opts: DataFetchOptions) => resolve(opts.dest ?? 'data/cifar10');

function fashionMnistChecksum(file: string, opts: DataFetchOptions): Checksum {
  return opts.checksums?.[file] ?? { algorithm: 'sha256', hex: FASHION_MNIST_CONTENT_SHA256[file]!, of: 'gunzip' };
}

/** Without --dest: the copy `data list` finds, when every file's content matches its known checksum. */
async function foundFashionMnist(opts: DataFetchOptions): Promise<DataFetchResult | null> {
  if (opts.dest !== undefined) return null;
  const loc = await locateFashionMnist().catch(() => null);
  if (!loc) return null;
  const files = Object.values(loc.files);
  for (const path of files) {
    const base = path.split('/').pop()!.replace(/\.gz$/, '');
    if ((await contentSha256(path).catch(() => '')) !== fashionMnistChecksum(base, opts).hex) return null;
  }
  return { dir: loc.dir, downloaded: [], kept: files, alreadyThere: true };
}

/** Without --dest: the CIFAR-10 batches the reader already finds. */
async function foundCifar10(opts: DataFetchOptions): Promise<DataFetchResult | null> {
  if (opts.dest !== undefined) return null;
  const dir = await locateCifar10().catch(() => null);
  return dir ? { dir, downloaded: [], kept: [dir], alreadyThere: true } : null;
}

async function fetchFashionMnist(opts: DataFetchOptions): Promise<DataFetchResult> {
  const dir = fashionMnistDest(opts);
  const base = opts.url ?? FASHION_MNIST_BASE_URL;
  const downloaded: string[] = [];
  const kept: string[] = [];
  for (const file of Object.values(FASHION_MNIST_FILES)) {
    const checksum = fashionMnistChecksum(file, opts);
    const dest = join(dir, `${file}.gz`);
    if (
      (await exists(dest)) &&
      (await fileChecksum(dest, checksum.algorithm, checksum.of).catch(() => '')) === checksum.hex
    ) {
      kept.push(dest);
      continue;
    }
    const url = new URL(`${file}.gz`, base.endsWith('/') ? base : `${base}/`).toString();
    await download(url, dest, {
      checksum,
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      idleTimeoutMs: opts.idleTimeoutMs,
      onProgress: opts.onProgress && ((p) => opts.onProgress!({ ...p, file: `${file}.gz` })),
    });
    downloaded.push(dest);
  }
  await locateFashionMnist(dir); // the reader must find what was fetched
  return { dir, downloaded, kept };
}

async function fetchCifar10(opts: DataFetchOptions): Promise<DataFetchResult> {
  const dir = cifar10Dest(opts);
  const batches = join(dir, 'cifar-10-batches-bin');
  const have = await locateCifar10(dir).then(
    () => true,
    () => false,
  );
  if (have) return { dir: batches, downloaded: [], kept: [batches] };
  const tarball = join(dir, 'cifar-10-binary.tar.gz');
  const checksum = opts.checksums?.['cifar-10-binary.tar.gz'] ?? {
    algorithm: 'md5',
    hex: CIFAR10_TARBALL_MD5,
    of: 'file',
  };
  await download(opts.url ?? CIFAR10_URL, tarball, {
    checksum,
    retries: opts.retries,
    retryDelayMs: opts.retryDelayMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    onProgress: opts.onProgress && ((p) => opts.onProgress!({ ...p, file: 'cifar-10-binary.tar.gz' })),
  });
  let tar: Uint8Array;
  try {
    tar = await gunzipAsync(await readFile(tarball));
  } catch (err) {
    throw new DatasetError(`not a gzip archive (${(err as Error).message}); delete it and fetch again`, tarball);
  }
  const written = await extractEntries(readTar(tar, tarball), dir, (n) => /^cifar-10-batches-bin\/[^/]+$/.test(n));
  const found = await locateCifar10(dir); // throws, naming what is missing, if the archive lacked files
  await unlink(tarball); // the batches are what the reader needs; 170 MB less on disk
  return { dir: found, downloaded: written, kept: [] };
}
