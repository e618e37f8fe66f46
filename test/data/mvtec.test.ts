import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError } from '../../src/errors/index.js';
import { loadDataset } from '../../src/data/index.js';
import { loadMvtec, locateMvtec, MVTEC_CATEGORIES, requireMvtecCategories } from '../../src/data/mvtec.js';
import { checkNormalClasses } from '../../src/data/load.js';
import { DATASETS } from '../../src/study/datasets.js';
import { prepareTrialData } from '../../src/data/prepare.js';
import { mulberry32 } from '../../src/data/random.js';
import { pngBytes, tempDir } from './helpers.js';

const root = tempDir();
const rand = mulberry32(42);
const noise = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

function put(path: string, png: Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, png);
}

/** A side x side RGB PNG: left half (40,90,200), right half (250,10,0). */
function halves(side: number): Buffer {
  const px = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) px.set(x < side / 2 ? [40, 90, 200] : [250, 10, 0], (y * side + x) * 3);
  return pngBytes(side, side, 3, px);
}

/** A two-category MVTec AD lookalike; returns the raw pixels written, by file. */
function writeCopy(dir: string) {
  const px: Record<string, Uint8Array> = {};
  const rgb = (rel: string) => put(join(dir, rel), pngBytes(64, 64, 3, (px[rel] = noise(64 * 64 * 3))));
  const grey = (rel: string) => put(join(dir, rel), pngBytes(64, 64, 1, (px[rel] = noise(64 * 64))));
  // Two of the 15 categories: "bottle" is class 0, "zipper" class 14 (the table's). Its files are grey, as in MVTec.
  grey('zipper/train/good/000.png');
  grey('zipper/train/good/001.png');
  grey('zipper/test/good/000.png');
  // an RGB image in a grey category, left half (40,90,200), right half (250,10,0)
  put(join(dir, 'zipper/test/rough/000.png'), halves(64));
  rgb('bottle/train/good/001.png');
  rgb('bottle/train/good/000.png');
  rgb('bottle/test/broken_large/000.png');
  rgb('bottle/test/good/000.png');
  // masks and stray files are not read
  put(join(dir, 'bottle/ground_truth/broken_large/000_mask.png'), Buffer.from('not a png at all'));
  put(join(dir, 'docs/readme.png'), Buffer.from('not a category'));
  writeFileSync(join(dir, 'license.txt'), 'CC BY-NC-SA 4.0');
  return px;
}

function isDatasetError(...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof DatasetError, String(err));
    for (const f of fragments) assert.ok(err.message.includes(f), `"${f}" not in: ${err.message}`);
    return true;
  };
}

/** 64x64 RGB pixels of halves(): the left columns keep the left colour, the right the right (blended only near the middle). */
function assertHalves(r: Uint8Array | Float32Array): void {
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const p = Array.from(r.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
      if (x < 30) assert.deepEqual(p, [40, 90, 200], `(${y},${x})`);
      else if (x > 33) assert.deepEqual(p, [250, 10, 0], `(${y},${x})`);
      else assert.ok(p[0]! >= 40 && p[0]! <= 250, `(${y},${x}) blends: ${p}`);
    }
  }
}

describe('MVTec AD reader', () => {
  const dir = join(root, 'mvtec');
  const px = writeCopy(dir);

  it("reads the categories a copy holds with the table's class numbers, good = 0, defects = 1, pixel for pixel", async () => {
    const ds = await loadDataset({ name: 'mvtec', dir });
    assert.equal(ds.source, resolve(dir));
    // Every category's name, also those this copy lacks: class k is always the table's category k.
    assert.deepEqual(ds.classNames, DATASETS.mvtec.classes);
    assert.equal(ds.preprocessing, 'symmetric');
    assert.deepEqual([ds.train.n, ds.train.height, ds.train.width, ds.train.channels], [4, 64, 64, 3]);
    assert.deepEqual(Array.from(ds.train.labels), [0, 0, 14, 14]);
    // test order: category, then defect folder (sorted), then file
    assert.deepEqual(Array.from(ds.test.labels), [0, 0, 14, 14]);
    assert.deepEqual(Array.from(ds.test.anomaly!), [1, 0, 0, 1]);
    const img = (set: typeof ds.train, i: number) => Buffer.from(set.images.subarray(i * 12288, (i + 1) * 12288));
    assert.deepEqual(img(ds.train, 0), Buffer.from(px['bottle/train/good/000.png']));
    assert.deepEqual(img(ds.train, 1), Buffer.from(px['bottle/train/good/001.png']));
    assert.deepEqual(img(ds.test, 0), Buffer.from(px['bottle/test/broken_large/000.png']));
    assert.deepEqual(img(ds.test, 1), Buffer.from(px['bottle/test/good/000.png']));
    // grey images: each value three times
    const g = px['zipper/train/good/001.png'];
    assert.deepEqual(img(ds.train, 3), Buffer.from(Array.from(g).flatMap((v) => [v, v, v])));
    assertHalves(ds.test.images.subarray(3 * 12288, 4 * 12288));
  });

  it('resizes a category of 128x128 images to 64x64: no flip, no transpose', async () => {
    const big = join(root, 'big');
    for (const rel of ['carpet/train/good/000.png', 'carpet/test/good/000.png', 'carpet/test/hole/000.png'])
      put(join(big, rel), halves(128));
    const ds = await loadMvtec(big);
    assert.deepEqual([ds.train.n, ds.train.height, ds.train.width, ds.test.n], [1, 64, 64, 2]);
    assert.deepEqual(Array.from(ds.train.labels), [MVTEC_CATEGORIES.indexOf('carpet')]);
    assertHalves(ds.train.images.subarray(0, 12288));
    assertHalves(ds.test.images.subarray(12288, 2 * 12288));
  });

  it('prepares a category: its good images for training, its test images labelled by defect, in [-1, 1]', async () => {
    const ds = await loadMvtec(dir);
    const d = prepareTrialData(ds, { normalClass: 14, seed: 0, contamination: 0, minmax: 'train' });
    assert.deepEqual([d.height, d.width, d.channels, d.nTrain, d.nTest], [64, 64, 3, 2, 2]);
    assert.deepEqual(Array.from(d.testY), [0, 1]);
    const good = px['zipper/test/good/000.png'];
    for (let i = 0; i < 64 * 64; i++) {
      for (let c = 0; c < 3; c++) assert.equal(d.testX[i * 3 + c], Math.fround(good[i] / 127.5 - 1));
    }
    // the first resized pixel of the defect image: (40,90,200) / 127.5 - 1
    const o = 64 * 64 * 3;
    assert.deepEqual(
      Array.from(d.testX.subarray(o, o + 3)),
      [40, 90, 200].map((v) => Math.fround(v / 127.5 - 1)),
    );
  });

  it('refuses by name an image below the minimum size (no upscaling of a 1x1 image)', async () => {
    const tiny = join(root, 'tiny');
    writeCopy(tiny);
    const path = join(tiny, 'bottle/test/broken_large/001.png');
    put(path, pngBytes(1, 1, 3, [1, 2, 3]));
    await assert.rejects(loadMvtec(tiny), isDatasetError(path, 'is 1x1, smaller than 64x64', 'upscaled'));
  });

  it("refuses by name an image of another size than its category's", async () => {
    const odd = join(root, 'odd');
    writeCopy(odd);
    const path = join(odd, 'zipper/test/good/001.png');
    put(path, halves(80));
    await assert.rejects(
      loadMvtec(odd),
      isDatasetError(path, "is 80x80, but its category's images are 64x64", join(odd, 'zipper/train/good/000.png')),
    );
  });

  it('rejects an undecodable PNG naming the image', async () => {
    const bad = join(root, 'bad');
    writeCopy(bad);
    const path = join(bad, 'zipper/test/rough/001.png');
    put(path, pngBytes(4, 4, 3, noise(48)).subarray(0, 40));
    await assert.rejects(loadMvtec(bad), isDatasetError(path, 'cannot decode image'));
  });

  it('rejects a category without test/good, and says where it looked when absent', async () => {
    const nogood = join(root, 'nogood');
    writeCopy(nogood);
    rmSync(join(nogood, 'bottle/test/good'), { recursive: true });
    await assert.rejects(loadMvtec(nogood), isDatasetError(join(nogood, 'bottle', 'test'), 'no "good" folder'));
    await assert.rejects(
      loadMvtec(join(root, 'nowhere')),
      isDatasetError('not found', join(root, 'nowhere'), 'MVTEC_AD_DIR'),
    );
  });

  it('refuses a category-shaped folder that is not a category, naming it, the near category and the fix', async () => {
    const typo = join(root, 'typo');
    writeCopy(typo);
    put(join(typo, 'metal-nut/train/good/000.png'), halves(64));
    const path = join(typo, 'metal-nut');
    await assert.rejects(
      loadMvtec(typo),
      isDatasetError(path, 'not an MVTec AD category', 'rename it to "metal_nut"', `move it out of ${typo}`),
    );
    // Refused also where only the files are listed (the cache key), so nothing is decoded first.
    await assert.rejects(locateMvtec(typo), isDatasetError(path));
    const other = join(root, 'other');
    writeCopy(other);
    put(join(other, 'bagel/train/good/000.png'), halves(64));
    await assert.rejects(loadMvtec(other), isDatasetError(join(other, 'bagel'), 'rename it to the category it holds'));
  });

  it('refuses a normal class whose category the copy lacks, naming the missing folder; the others pass', async () => {
    const screw = MVTEC_CATEGORIES.indexOf('screw');
    await requireMvtecCategories(dir, [0, 14]);
    const missing = join(resolve(dir), 'screw', 'train', 'good');
    await assert.rejects(
      requireMvtecCategories(dir, [14, screw, 0]),
      isDatasetError(
        missing,
        `class ${screw} (screw)`,
        'holds bottle, zipper',
        `remove ${screw} from grid.normalClass`,
      ),
    );
    // Through the dispatcher start and worker call; other data sets hold every class.
    await assert.rejects(checkNormalClasses({ name: 'mvtec', dir }, [screw]), isDatasetError(missing));
    await checkNormalClasses({ name: 'synthetic' }, [9]);
  });
});
