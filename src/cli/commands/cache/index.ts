// `sweep cache ls|clean`: the on-disk caches under .cache/ (pretrain/: one
// pretrained autoencoder per key, tens of MB each at the paper's sizes; data/:
// decoded data sets). `ls` says what each entry is, its size and age, and
// which studies used it (trials record `pretrain_cache_key`); `clean` deletes
// all, those older than N days, or those a study used.
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../../../errors/index.js';
import { openStorage } from '../../../storage/index.js';
import { readPretrainHeader } from '../../../training/pretrain-cache.js';
import { pretrainCacheKeyOf } from '../../../trial/attrs.js';
import { databases } from '../ls/index.js';

export interface CacheOptions {
  readonly action: 'ls' | 'clean';
  /** Default .cache */
  readonly cacheDir?: string;
  /** Where to find the studies that used an entry: one database, else every *.sqlite3 of `dbDir`. */
  readonly db?: string;
  readonly dbDir?: string;
  readonly json?: boolean;
  /** clean: every entry. */
  readonly all?: boolean;
  /** clean: entries last written more than this many days before `now`. */
  readonly olderThanDays?: number;
  /** clean: pretraining entries this study's trials used. */
  readonly study?: string;
  readonly now: Date;
  readonly write: (line: string) => void;
}

export interface CacheEntry {
  readonly kind: 'pretrain' | 'data' | 'partial';
  readonly path: string;
  readonly bytes: number;
  readonly modified: string;
  /** pretrain: the key (file stem); data: the file stem. */
  readonly key: string;
  /** What it holds, in words. */
  readonly what: string;
  /** Studies whose trials used it (pretrain entries only). */
  readonly studies: readonly string[];
}

/** Which studies used which pretraining entry, from the trials' `pretrain_cache_key` (or, in old databases, `pretrainCacheKey`). */
async function keyUsage(dbs: readonly string[]): Promise<Map<string, Set<string>>> {
  const used = new Map<string, Set<string>>();
  for (const db of dbs) {
    let storage;
    try {
      storage = await openStorage(db, { readonly: true });
    } catch {
      continue; // not a database of ours: it names no entry
    }
    try {
      for (const s of await storage.listStudies()) {
        for (const t of await storage.getTrials(s.id)) {
          const k = pretrainCacheKeyOf(t.userAttrs);
          if (k !== null) (used.get(k) ?? used.set(k, new Set()).get(k)!).add(s.name);
        }
      }
    } finally {
      await storage.close();
    }
  }
  return used;
}

function describe(material: Record<string, unknown>): string {
  const ds = material.dataset as { name?: string } | undefined;
  const parts = [ds?.name ?? '?', `class ${String(material.normalClass)}`, `seed ${String(material.seed)}`];
  if (material.contamination) parts.push(`contamination ${String(material.contamination)}`);
  const pre = material.pretraining as { epochs?: number } | undefined;
  if (pre?.epochs !== undefined) parts.push(`${pre.epochs} pretrain epochs`);
  return parts.join(' ');
}

export function cacheEntries(cacheDir: string, usage: ReadonlyMap<string, ReadonlySet<string>>): CacheEntry[] {
  const entries: CacheEntry[] = [];
  for (const sub of ['pretrain', 'data'] as const) {
    const dir = join(cacheDir, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (!st.isFile()) continue;
      const base = { path, bytes: st.size, modified: st.mtime.toISOString() };
      if (!name.endsWith('.bin')) {
        entries.push({ ...base, kind: 'partial', key: name, what: 'left by an interrupted write', studies: [] });
      } else if (sub === 'data') {
        entries.push({
          ...base,
          kind: 'data',
          key: name.slice(0, -4),
          what: `decoded ${name.replace(/-[0-9a-f]+\.bin$/, '')}`,
          studies: [],
        });
      } else {
        const header = readPretrainHeader(path);
        const key = header?.key ?? name.slice(0, -4);
        entries.push({
          ...base,
          kind: 'pretrain',
          key,
          what: header ? describe(header.material) : 'unreadable entry',
          studies: [...(usage.get(key) ?? [])].sort(),
        });
      }
    }
  }
  return entries;
}

/** The entries `clean` deletes: every filter given must hold. */
export function selectForClean(
  entries: readonly CacheEntry[],
  o: Pick<CacheOptions, 'all' | 'olderThanDays' | 'study' | 'now'>,
): CacheEntry[] {
  if (!o.all && o.olderThanDays === undefined && o.study === undefined)
    throw new UserInputError('say what to delete: --all, --older-than DAYS or --study NAME', 'cache clean');
  const cutoff = o.olderThanDays === undefined ? null : o.now.getTime() - o.olderThanDays * 86_400_000;
  return entries.filter(
    (e) =>
      (cutoff === null || Date.parse(e.modified) < cutoff) &&
      (o.study === undefined || (e.kind === 'pretrain' && e.studies.includes(o.study))),
  );
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export async function runCache(opts: CacheOptions): Promise<void> {
  const cacheDir = opts.cacheDir ?? '.cache';
  const entries = cacheEntries(cacheDir, await keyUsage(databases(opts.db, opts.dbDir)));
  const total = (list: readonly CacheEntry[]) => fmtBytes(list.reduce((n, e) => n + e.bytes, 0));
  if (opts.action === 'ls') {
    if (opts.json) {
      for (const e of entries) opts.write(JSON.stringify(e));
      return;
    }
    if (entries.length === 0) {
      opts.write(`cache ${cacheDir}: empty`);
      return;
    }
    for (const e of entries)
      opts.write(
        `${e.kind.padEnd(8)}  ${e.key.slice(0, 16).padEnd(16)}  ${fmtBytes(e.bytes).padStart(9)}  ${e.modified.slice(0, 10)}  ${e.what}` +
          (e.kind === 'pretrain' ? `  studies: ${e.studies.join(', ') || 'none found'}` : ''),
      );
    for (const kind of ['pretrain', 'data'] as const) {
      const of = entries.filter((e) => e.kind === kind);
      if (of.length) opts.write(`${kind}: ${of.length} entr${of.length === 1 ? 'y' : 'ies'}, ${total(of)}`);
    }
    opts.write(`total ${total(entries)} in ${cacheDir}`);
    return;
  }
  const doomed = selectForClean(entries, opts);
  for (const e of doomed) unlinkSync(e.path);
  opts.write(
    `deleted ${doomed.length} cache entr${doomed.length === 1 ? 'y' : 'ies'}, ${total(doomed)} from ${cacheDir}`,
  );
}
