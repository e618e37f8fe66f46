// MVTec AD: one folder per category,
//   <root>/<category>/train/good/*.png          normal training images
//   <root>/<category>/test/<defect>/*.png       test images; "good" is normal, every other folder a defect
//   <root>/<category>/ground_truth/...          masks (not used)
// Images are resized to 64x64 RGB (grey categories replicated to three
// channels) and kept as uint8; prepareTrialData scales them to [-1, 1]
// (preprocessing 'symmetric').
//
// How it fits RawDataset: one RawDataset holds every category found. A "class"
// is a category, its index the category's position in the data-set table's
// list of MVTec AD's 15 categories (src/study/datasets.ts; the recipe's
// normalClass), whichever of them a copy holds: classNames is always that
// list, and a category absent from the copy simply has no images.
//
// The folders found are checked against that list (locateMvtec):
// - A folder with train/good whose name is not a category is refused by path,
//   not skipped. It is a misspelt or renamed category (its images would
//   silently be left out of every study, contamination included) or other data
//   someone put there to be read, which no study could name (normalClass comes
//   from the table); either way the user has to decide, and one rename or move
//   fixes it. Folders without train/good (docs, licences) are not categories
//   and are not read.
// - A category with no folder is not an error here: MVTec AD is also
//   published one category at a time, so a copy of only the categories one
//   studies is legitimate. A category a study asks for (grid.normalClass) is
//   checked before anything is read (requireMvtecCategories, called by start
//   and worker), with the missing folder named.
//
// train = every category's train/good images, labelled with the
// category index. test = every category's test images, labelled with the
// category index, and test.anomaly = 1 for defect images. With test.anomaly
// present, prepareTrialData for normal class k trains on category k's good
// images and tests on category k's test images only (label = anomaly flag).
// Contamination, if asked for, draws good images of other categories.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DatasetError } from '../errors/index.js';
import { DATASETS } from '../study/datasets.js';
import { readDataFile, type ReadOptions } from './fs.js';
import type { RawDataset } from './types.js';

export const MVTEC_SIZE = DATASETS.mvtec.side;
/**
 * Smallest side an image may have: the size it is resized to. A smaller image
 * would be upscaled, its pixels invented (MVTec AD's own are 700 to 1024).
 */
export const MVTEC_MIN_SIDE = MVTEC_SIZE;

const HOW_TO_GET =
  'download MVTec AD from https://www.mvtec.com/company/research/datasets/mvtec-ad (licence CC BY-NC-SA 4.0, ' +
  "accepted on their page), unpack it, and set MVTEC_AD_DIR (or the study's dataset.dir) to the folder holding the category folders";

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function listDirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The .png names of a folder: every entry so named but a folder, so that a FIFO or device is refused by the reader, not skipped. */
async function listPngs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory() && /\.png$/i.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Folders searched, in order; an explicit dir is the only place looked at. */
export function mvtecSearchPath(dir?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (dir) return [resolve(dir)];
  const places: string[] = [];
  if (env.MVTEC_AD_DIR) places.push(resolve(env.MVTEC_AD_DIR));
  places.push(resolve('data/mvtec'), resolve('data/mvtec_anomaly_detection'));
  return places;
}

/** MVTec AD's categories, by class index: the data-set table's. */
export const MVTEC_CATEGORIES: readonly string[] = DATASETS.mvtec.classes;

/** Sorted category-shaped folders of a root: sub-folders that have train/good (known categories or not). */
export async function mvtecCategories(root: string): Promise<string[]> {
  if (!(await isDir(root))) return [];
  const out: string[] = [];
  for (const name of await listDirs(root)) if (await isDir(join(root, name, 'train', 'good'))) out.push(name);
  return out;
}

/** A category a misspelt folder name most likely means: same letters, ignoring case, '-', '_' and spaces. */
function meant(name: string): string | undefined {
  const key = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  return MVTEC_CATEGORIES.find((c) => key(c) === key(name) || key(c) === key(name).replace(/s$/, ''));
}

/** Refuses a category-shaped folder that is not an MVTec AD category (see the file header for why). */
function checkKnown(root: string, folders: readonly string[]): void {
  for (const name of folders) {
    if (MVTEC_CATEGORIES.includes(name)) continue;
    const guess = meant(name);
    throw new DatasetError(
      `"${name}" has train/good but is not an MVTec AD category (${MVTEC_CATEGORIES.join(', ')}); ` +
        (guess ? `rename it to "${guess}" if it is that category, ` : 'rename it to the category it holds, ') +
        `or move it out of ${root}`,
      join(root, name),
    );
  }
}

// sharp is a native module: load it only when MVTec is read, so workers and
// the other data sets never pay for it (or fail on a platform without it).
let sharpModule: Promise<typeof import('sharp')> | undefined;
async function loadSharp(): Promise<typeof import('sharp').default> {
  sharpModule ??= import('sharp');
  try {
    return (await sharpModule).default;
  } catch (err) {
    sharpModule = undefined;
    throw new DatasetError(
      `reading MVTec AD needs the image library "sharp", which did not load (${(err as Error).message}); run npm install`,
      'sharp',
      { cause: err },
    );
  }
}

/**
 * The first place of the search path with at least one category folder, and
 * the categories it holds, in class order. Throws for a folder that is not a
 * category (see the file header).
 */
export async function locateMvtec(dir?: string): Promise<{ root: string; categories: string[] }> {
  const places = mvtecSearchPath(dir);
  for (const place of places) {
    const found = await mvtecCategories(place);
    if (found.length === 0) continue;
    checkKnown(place, found);
    return { root: place, categories: MVTEC_CATEGORIES.filter((c) => found.includes(c)) };
  }
  throw new DatasetError(
    `MVTec AD not found (no <category>/train/good folder); searched ${places.map((p) => `"${p}"`).join(', ')}; ${HOW_TO_GET}`,
  );
}

/**
 * Refuses, before anything is read, a normal class whose category this copy
 * does not hold, naming the folder that is missing. Class numbers outside the
 * table are the study check's to refuse (src/study/load.ts) and are skipped here.
 */
export async function requireMvtecCategories(dir: string | undefined, normalClasses: readonly number[]): Promise<void> {
  const { root, categories } = await locateMvtec(dir);
  for (const k of [...new Set(normalClasses)].sort((a, b) => a - b)) {
    const category = MVTEC_CATEGORIES[k];
    if (category === undefined || categories.includes(category)) continue;
    throw new DatasetError(
      `grid.normalClass asks for class ${k} (${category}), but this copy of MVTec AD has no ${category}/train/good ` +
        `(it holds ${categories.join(', ')}); unpack MVTec AD's "${category}" category into ${root}, ` +
        `or remove ${k} from grid.normalClass`,
      join(root, category, 'train', 'good'),
    );
  }
}

/** The width and height all images of a category share (MVTec AD's are square, 700 to 1024). */
interface Shape {
  readonly width: number;
  readonly height: number;
  /** The image it was taken from, named in messages. */
  readonly from: string;
}

interface Item {
  readonly path: string;
  readonly label: number;
  readonly anomaly: number;
  readonly shape: Shape;
}

const REPLACE = 'replace the file from a fresh copy of MVTec AD';

/** Width and height from the image's header (no decoding); refuses an image below MVTEC_MIN_SIDE. */
async function imageShape(path: string, bytes: Buffer): Promise<{ width: number; height: number }> {
  const sharp = await loadSharp();
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes).metadata());
  } catch (err) {
    throw new DatasetError(`cannot decode image (${(err as Error).message}); ${REPLACE}`, path, { cause: err });
  }
  if (!width || !height) throw new DatasetError(`cannot decode image (no size in its header); ${REPLACE}`, path);
  if (width < MVTEC_MIN_SIDE || height < MVTEC_MIN_SIDE) {
    throw new DatasetError(
      `image is ${width}x${height}, smaller than ${MVTEC_MIN_SIDE}x${MVTEC_MIN_SIDE}: it would be upscaled (pixels invented); ${REPLACE}`,
      path,
    );
  }
  return { width, height };
}

/** Reads a category's first training image for the shape every image of the category must have. */
async function categoryShape(path: string, opts: ReadOptions): Promise<Shape> {
  return { ...(await imageShape(path, await readDataFile(path, REPLACE, opts))), from: path };
}

/**
 * Decode one image file to `size` x `size` RGB uint8 (bilinear, as
 * torchvision's Resize on PIL images; alpha dropped, grey replicated). With
 * `shape`, an image of another width and height is refused by name: resizing
 * would silently distort it.
 */
export async function decodeImageRgb(
  path: string,
  size: number,
  shape?: Shape,
  opts: ReadOptions = {},
): Promise<Uint8Array> {
  const bytes = await readDataFile(path, REPLACE, opts);
  const own = await imageShape(path, bytes);
  if (shape && (own.width !== shape.width || own.height !== shape.height)) {
    throw new DatasetError(
      `image is ${own.width}x${own.height}, but its category's images are ${shape.width}x${shape.height} (as ${shape.from}); ${REPLACE}`,
      path,
    );
  }
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== size) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
    }
    return data;
  } catch (err) {
    throw new DatasetError(`cannot decode image (${(err as Error).message}); ${REPLACE}`, path, { cause: err });
  }
}

async function decodeAll(items: readonly Item[], size: number, concurrency: number, opts: ReadOptions) {
  const per = size * size * 3;
  const images = new Uint8Array(items.length * per);
  const labels = Uint8Array.from(items, (it) => it.label);
  const anomaly = Uint8Array.from(items, (it) => it.anomaly);
  let next = 0;
  // A few decodes in flight: sharp runs them on libuv threads; more only queues.
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      images.set(await decodeImageRgb(items[i].path, size, items[i].shape, opts), i * per);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { images, labels, anomaly, n: items.length, height: size, width: size, channels: 3 };
}

export interface MvtecOptions extends ReadOptions {
  /** Side of the resized images (default 64). */
  readonly size?: number;
  /** Images decoded at once (default 4). */
  readonly concurrency?: number;
}

/** Read MVTec AD (every category the copy holds; see the file header for the layout in RawDataset). */
export async function loadMvtec(dir?: string, opts: MvtecOptions = {}): Promise<RawDataset> {
  const size = opts.size ?? MVTEC_SIZE;
  const { root, categories } = await locateMvtec(dir);
  const train: Item[] = [];
  const test: Item[] = [];
  for (const category of categories) {
    const c = MVTEC_CATEGORIES.indexOf(category);
    const cat = join(root, category);
    const good = join(cat, 'train', 'good');
    const trainFiles = await listPngs(good);
    if (trainFiles.length === 0) throw new DatasetError(`no .png images in train/good; ${HOW_TO_GET}`, good);
    const shape = await categoryShape(join(good, trainFiles[0]!), opts);
    for (const f of trainFiles) train.push({ path: join(good, f), label: c, anomaly: 0, shape });
    const testDir = join(cat, 'test');
    if (!(await isDir(testDir))) throw new DatasetError(`category has no test folder; ${HOW_TO_GET}`, cat);
    const defects = await listDirs(testDir);
    if (!defects.includes('good')) {
      throw new DatasetError(`test has no "good" folder, so no normal test images; ${HOW_TO_GET}`, testDir);
    }
    if (defects.length < 2) throw new DatasetError(`test has no defect folder besides "good"; ${HOW_TO_GET}`, testDir);
    for (const defect of defects) {
      const folder = join(testDir, defect);
      for (const f of await listPngs(folder))
        test.push({ path: join(folder, f), label: c, anomaly: defect === 'good' ? 0 : 1, shape });
    }
  }
  const concurrency = opts.concurrency ?? 4;
  const trainSet = await decodeAll(train, size, concurrency, opts);
  const testSet = await decodeAll(test, size, concurrency, opts);
  return {
    name: 'mvtec',
    classNames: MVTEC_CATEGORIES,
    train: { images: trainSet.images, labels: trainSet.labels, n: trainSet.n, height: size, width: size, channels: 3 },
    test: testSet,
    source: root,
    preprocessing: 'symmetric',
  };
}
