// The pretrained autoencoder on disk, shared by every grid point whose
// pretraining is the same: it depends on the data (set, class, contamination,
// seed, min-max), the network's structure and the pretraining settings, never
// on lambdaKl, lambdaRec, nu or the boundary.
//
// One file per entry, `<cacheDir>/pretrain/<key>.bin`:
//   8 bytes magic "IAEPRE01", u32 LE header length, the header (JSON: key,
//   key material, tensor names and shapes, payload size and sha256), then
//   the float32 LE payload, tensors in header order.
// One file, written to a temp name and renamed: a reader sees a whole entry
// or none, and when workers race, the last rename wins and both were valid.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { makeDirs } from '../fs/mkdirs.js';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { canonicalJson } from '../json.js';
import { modelPretrains, modelStructure } from '../models/registry.js';
import type { InputShape, ModelStructure, ParamStore } from '../models/index.js';
import type { TrialTask } from './messages.js';

/**
 * Bump when pretraining itself changes (init, losses, BN ...), so old entries stop matching.
 * 2: the large LSTM orthogonal init moved to one-pass CholeskyQR (src/models/cholesky-qr.ts);
 * its weights differ from format 1's by float32 rounding, and a study must not mix the two.
 */
export const PRETRAIN_FORMAT = 2;
const MAGIC = Buffer.from('IAEPRE01', 'ascii');

export interface PretrainKey {
  /** File name stem: a hash of the material. */
  readonly key: string;
  /** What the key hashes, kept in the header for humans and checks. */
  readonly material: Readonly<Record<string, unknown>>;
}

/** What of a trial's task the key reads: the study's fixed settings and the grid point's params. */
export type PretrainKeyInput = Pick<TrialTask, 'dataset' | 'training' | 'arch' | 'params'>;

export function pretrainKey(task: PretrainKeyInput, structure: ModelStructure): PretrainKey {
  const t = task.training;
  const p = task.params;
  const material = {
    format: PRETRAIN_FORMAT,
    dataset: {
      name: task.dataset.name,
      dir: task.dataset.dir ?? null,
      file: task.dataset.file ?? null,
      trainSize: task.dataset.trainSize ?? null,
    },
    normalClass: p.normalClass,
    contamination: p.contamination,
    seed: p.seed,
    minmax: p.minmax,
    // The structure carries the arch (channels, latent), the input shape, and the LSTM's mode and gates.
    structure,
    pretraining: {
      epochs: t.pretrainEpochs,
      batchSize: t.batchSize,
      lr: t.lr,
      weightDecay: t.weightDecay,
      amsgrad: t.amsgrad,
    },
  };
  return { key: createHash('sha256').update(canonicalJson(material)).digest('hex').slice(0, 32), material };
}

/**
 * The pretraining key of a trial, or null when it does not pretrain (a
 * baseline without an autoencoder, or pretrainEpochs 0). It is the one key of
 * pretraining sharing: the worker's cache file, the scheduler's holding back
 * and the artifact shared between hosts all use it (docs/architecture.md,
 * "Pretraining sharing"). `input` is the prepared image shape
 * (data/load.ts preparedShape): the structure is described, no model is
 * built, so the main thread computes it for every claimed trial.
 */
export function trialPretrainKey(task: PretrainKeyInput, input: InputShape): PretrainKey | null {
  if (!modelPretrains(task.params.model) || task.training.pretrainEpochs <= 0) return null;
  const structure = modelStructure(task.params.model, {
    arch: task.arch,
    input,
    lstmMode: task.params['lstm.mode'],
    seed: task.params.seed,
  });
  return pretrainKey(task, structure);
}

export function pretrainPath(cacheDir: string, key: string): string {
  return join(cacheDir, 'pretrain', `${key}.bin`);
}

interface Header {
  readonly key: string;
  readonly material: unknown;
  readonly tensors: { readonly name: string; readonly shape: number[] }[];
  readonly payloadBytes: number;
  readonly sha256: string;
}

export type LoadResult =
  | { readonly status: 'hit' }
  | { readonly status: 'miss' }
  /** The file could not be read (permissions, cacheDir not a folder ...): treated as a miss. */
  | { readonly status: 'unreadable'; readonly reason: string }
  /** The entry was unusable and has been deleted. */
  | { readonly status: 'corrupt'; readonly reason: string };

/** Loads an entry into the store, or says why not. A corrupt or mismatched entry is deleted, never used. */
export async function loadPretrained(cacheDir: string, k: PretrainKey, store: ParamStore): Promise<LoadResult> {
  const path = pretrainPath(cacheDir, k.key);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'miss' };
    return { status: 'unreadable', reason: e instanceof Error ? e.message : String(e) };
  }
  const parsed = parse(buf, k);
  // Same key but other tensors (a code change without a format bump) is as unusable as a bad checksum.
  const reason = typeof parsed === 'string' ? parsed : store.mismatch(parsed);
  if (reason !== null || typeof parsed === 'string') {
    await unlink(path).catch(() => undefined);
    return { status: 'corrupt', reason: reason ?? 'unusable' };
  }
  store.restore(parsed);
  return { status: 'hit' };
}

/** The header and payload of a whole, intact entry of `key` (magic, header, size, sha256), or why not. */
function split(buf: Buffer, key: string): { header: Header; payload: Buffer } | string {
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a pretrain cache file';
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headerLength;
  if (start > buf.length) return 'truncated header';
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(MAGIC.length + 4, start).toString('utf8')) as Header;
  } catch {
    return 'unreadable header';
  }
  if (header.key !== key) return 'key mismatch';
  const payload = buf.subarray(start);
  if (payload.length !== header.payloadBytes)
    return `payload is ${payload.length} bytes, header says ${header.payloadBytes}`;
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) return 'checksum mismatch';
  return { header, payload };
}

/**
 * Why the bytes of an entry (a cache file, or the artifact another host
 * stored) are not a whole, intact entry of `key`; null when they are. The
 * scheduler checks both before it shares them.
 */
export function checkPretrainEntry(bytes: Uint8Array, key: string): string | null {
  const r = split(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), key);
  return typeof r === 'string' ? r : null;
}

/** The tensors of an entry, or why it cannot be used. */
function parse(buf: Buffer, k: PretrainKey): { name: string; shape: number[]; values: Float32Array }[] | string {
  const whole = split(buf, k.key);
  if (typeof whole === 'string') return whole;
  const { header, payload } = whole;
  if (canonicalJson(header.material) !== canonicalJson(k.material)) return 'key mismatch';
  // Copy out: the payload's offset in the file buffer need not be 4-byte aligned.
  const all = new Float32Array(payload.length / 4);
  new Uint8Array(all.buffer).set(payload);
  let offset = 0;
  const out = [];
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (offset + size > all.length) return 'tensors exceed the payload';
    out.push({ name: t.name, shape: t.shape, values: all.subarray(offset, offset + size) });
    offset += size;
  }
  if (offset !== all.length) return 'payload larger than its tensors';
  return out;
}

/** Writes an entry atomically (temp file + rename). */
export async function savePretrained(cacheDir: string, k: PretrainKey, store: ParamStore): Promise<void> {
  const snapshot = store.snapshot();
  const payload = Buffer.concat(
    snapshot.map((s) => Buffer.from(s.values.buffer, s.values.byteOffset, s.values.byteLength)),
  );
  const header: Header = {
    key: k.key,
    material: k.material,
    tensors: snapshot.map((s) => ({ name: s.name, shape: [...s.shape] })),
    payloadBytes: payload.length,
    sha256: createHash('sha256').update(payload).digest('hex'),
  };
  const headerBuf = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(headerBuf.length);
  await writePretrainEntry(cacheDir, k.key, Buffer.concat([MAGIC, len, headerBuf, payload]));
}

/** Writes the bytes of an entry as the cache file of `key`, atomically (temp file + rename). */
export async function writePretrainEntry(cacheDir: string, key: string, bytes: Uint8Array): Promise<void> {
  const path = pretrainPath(cacheDir, key);
  // Not mkdir's recursive option: it loops for ever under /proc (src/fs/mkdirs.ts).
  makeDirs(join(cacheDir, 'pretrain'));
  const tmp = `${path}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * The key and key material of a cache file, reading only its header (an
 * entry is tens of MB); null when it is not a whole entry. For `sweep cache ls`.
 */
export function readPretrainHeader(path: string): { key: string; material: Record<string, unknown> } | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(MAGIC.length + 4);
    if (readSync(fd, head, 0, head.length, 0) !== head.length || !head.subarray(0, MAGIC.length).equals(MAGIC))
      return null;
    const len = head.readUInt32LE(MAGIC.length);
    const buf = Buffer.alloc(len);
    if (readSync(fd, buf, 0, len, head.length) !== len) return null;
    const header = JSON.parse(buf.toString('utf8')) as Header;
    return typeof header.key === 'string'
      ? { key: header.key, material: (header.material ?? {}) as Record<string, unknown> }
      : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
