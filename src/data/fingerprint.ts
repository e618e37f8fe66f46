// The data set's fingerprint: a sha256 over the decoded arrays, as the trials
// see them, so that hosts whose files differ (another download, another
// version of a reader, a truncated copy) are caught before their trials mix
// with the others in one study (issue 13, item 6). Paths and file dates are
// left out on purpose: the same data at another path is the same data.
//
// It hashes what loadDatasetShared returned (decoded once, from the data
// cache when there is one), never decodes again; one pass of sha256 over the
// arrays (~55 MB for Fashion-MNIST, a fraction of a second), once per process.
import { createHash } from 'node:crypto';
import type { ImageSet, RawDataset } from './types.js';

/** What a study stores (system attribute `data_fingerprint`) and compares. */
export interface DataFingerprint {
  readonly dataset: string;
  readonly sha256: string;
}

/** Bump when what is hashed changes, so that old and new fingerprints never match by accident. */
const FINGERPRINT_VERSION = 1;

const memo = new WeakMap<RawDataset, string>();

/**
 * sha256 over, in this fixed order: a header (version, name, preprocessing,
 * class count) and, for train then test, each set's shape (n, height, width,
 * channels) and its images, labels and anomaly flags with their element type.
 */
export function dataFingerprint(raw: RawDataset): DataFingerprint {
  const known = memo.get(raw);
  if (known) return { dataset: raw.name, sha256: known };
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      v: FINGERPRINT_VERSION,
      name: raw.name,
      preprocessing: raw.preprocessing ?? 'gcn-l1',
      classes: raw.classNames.length,
    }),
  );
  for (const [name, set] of [
    ['train', raw.train],
    ['test', raw.test],
  ] as const) {
    h.update(`\n${name} ${set.n}x${set.height}x${set.width}x${set.channels}`);
    for (const [key, a] of arraysOf(set)) {
      // The element type and length go in too: the same bytes as f32 or u8 are different data.
      h.update(`\n${key} ${a instanceof Float32Array ? 'f32' : 'u8'} ${a.length}\n`);
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
  }
  const sha256 = h.digest('hex');
  memo.set(raw, sha256);
  return { dataset: raw.name, sha256 };
}

function arraysOf(s: ImageSet): [string, Uint8Array | Float32Array][] {
  return [
    ['images', s.images],
    ['labels', s.labels],
    ...(s.anomaly ? [['anomaly', s.anomaly] as [string, Uint8Array]] : []),
  ];
}

/** Reads a stored `data_fingerprint` attribute; null when absent or not of this shape (a study from before it existed). */
export function readFingerprint(v: unknown): DataFingerprint | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  return typeof o.dataset === 'string' && typeof o.sha256 === 'string'
    ? { dataset: o.dataset, sha256: o.sha256 }
    : null;
}
