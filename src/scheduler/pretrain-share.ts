// Pretraining shared between hosts through the storage's ArtifactStore: which
// host builds a pretraining (a lease), how the others get it (the artifact,
// written into their local cache file before the trial starts), and whose
// trials wait. The steps, in order, are in docs/architecture.md,
// "Pretraining sharing"; the scheduler calls this class at each of them.
import { readFile } from 'node:fs/promises';
import { ArtifactDamagedError } from '../storage/artifact-error.js';
import type { Artifact, ArtifactStore, FrozenTrial } from '../storage/storage.js';
import { checkPretrainEntry, pretrainPath, writePretrainEntry } from '../training/pretrain-cache.js';

/** Artifact and lease keys of pretrainings: other kinds of artifact may come. */
export const PRETRAIN_ARTIFACT_PREFIX = 'pretrain/';

export interface PretrainShareOptions {
  readonly artifacts: ArtifactStore;
  /** The lease holder: the scheduler's owner id (host:pid). */
  readonly owner: string;
  /** A lease not renewed for this long is free (its holder died). */
  readonly leaseSeconds: number;
  /** The trial's pretraining key (trialPretrainKey), null when it does not pretrain. */
  readonly keyOf: (t: FrozenTrial) => string | null;
  /** The local pretraining cache folder the trial's worker reads; null: no cache, nothing shared. */
  readonly cacheDirOf: (t: FrozenTrial) => string | null;
  readonly note: (message: string) => void;
}

/** What to do with a claimed trial: start it, or give it back (another host builds its pretraining). */
export type Admission = 'run' | 'wait';

export class PretrainShare {
  /** Keys whose entry is in the local cache (checked): their trials are cache hits. */
  readonly #ready = new Set<string>();
  /** Keys this scheduler holds the lease of: it builds them, and shares them once built. */
  readonly #leased = new Set<string>();
  /** Keys another holder's live lease covers: their trials are not claimed. */
  readonly #waiting = new Set<string>();
  /** Uploads and renewals in flight: the sweep waits for them before it returns. */
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly o: PretrainShareOptions) {}

  /** claimTrial's filter: not the trials whose pretraining another host is building. */
  readonly accept = (t: FrozenTrial): boolean => {
    const key = this.o.keyOf(t);
    return key === null || !this.#waiting.has(key);
  };

  /** Some trials are left unclaimed until another host's pretraining appears or its lease expires. */
  get waiting(): boolean {
    return this.#waiting.size > 0;
  }

  /**
   * Before a claimed trial starts: a cache hit when the entry is local or
   * shared (then written locally); else this scheduler takes the lease and the
   * trial builds it; else another host builds it, and the trial goes back.
   */
  async admit(t: FrozenTrial): Promise<Admission> {
    const key = this.o.keyOf(t);
    const dir = this.o.cacheDirOf(t);
    if (key === null || dir === null || this.#ready.has(key) || this.#leased.has(key)) return 'run';
    if (await localEntry(dir, key)) {
      this.#ready.add(key);
      return 'run';
    }
    if (await this.#download(key, dir)) return 'run';
    if (await this.o.artifacts.acquireLease(PRETRAIN_ARTIFACT_PREFIX + key, this.o.owner, this.o.leaseSeconds)) {
      this.#leased.add(key);
      return 'run';
    }
    if (!this.#waiting.has(key))
      this.o.note(`pretraining ${key} is being built by another host: its trials wait, others run`);
    this.#waiting.add(key);
    return 'wait';
  }

  /** The shared entry, checked and written to the local cache; false when there is none usable. */
  async #download(key: string, dir: string): Promise<boolean> {
    let art: Artifact | null;
    try {
      art = await this.o.artifacts.getArtifact(PRETRAIN_ARTIFACT_PREFIX + key);
    } catch (e) {
      if (!(e instanceof ArtifactDamagedError)) throw e;
      this.o.note(e.message);
      return false;
    }
    if (!art) return false;
    const why = checkPretrainEntry(art.bytes, key);
    if (why !== null) {
      this.o.note(`shared pretraining ${key} is not a usable cache entry (${why}); it is built again`);
      return false;
    }
    try {
      await writePretrainEntry(dir, key, art.bytes);
    } catch (e) {
      // A cache folder that cannot be written costs the reuse: the trial pretrains itself (docs/architecture.md).
      this.o.note(`cannot write the shared pretraining ${key} into ${dir}: ${(e as Error).message}`);
      return false;
    }
    this.#ready.add(key);
    return true;
  }

  /**
   * The trial reached joint training, or ended: if this scheduler builds its
   * key, the local entry (when it was written) is stored as the artifact and
   * the lease released, at the first of the two.
   */
  built(t: FrozenTrial): void {
    const key = this.o.keyOf(t);
    const dir = this.o.cacheDirOf(t);
    if (key === null || dir === null || !this.#leased.has(key)) return;
    this.#leased.delete(key);
    this.#track(this.#upload(key, dir));
  }

  async #upload(key: string, dir: string): Promise<void> {
    try {
      const bytes = await readFile(pretrainPath(dir, key)).catch(() => null);
      if (bytes && checkPretrainEntry(bytes, key) === null) {
        await this.o.artifacts.putArtifact(PRETRAIN_ARTIFACT_PREFIX + key, bytes);
        this.#ready.add(key);
      } else
        this.o.note(
          `pretraining ${key} left no cache entry to share (the trial failed or the cache could not be written); another trial builds it`,
        );
    } finally {
      // Not when another trial of the key took the lease again meanwhile (the first one failed early).
      if (!this.#leased.has(key)) await this.o.artifacts.releaseLease(PRETRAIN_ARTIFACT_PREFIX + key, this.o.owner);
    }
  }

  /** With every heartbeat: the leases of pretrainings being built stay live. */
  renew(): void {
    for (const key of this.#leased) {
      this.#track(
        this.o.artifacts.acquireLease(PRETRAIN_ARTIFACT_PREFIX + key, this.o.owner, this.o.leaseSeconds).then((ok) => {
          // Expired (this process was suspended) and taken: both build; the first artifact stays.
          if (!ok) this.o.note(`the lease on pretraining ${key} expired and another host took it; both build it`);
        }),
      );
    }
  }

  /**
   * Keys another host was building: free again once its lease is gone (it
   * shared the entry and released it, or it died and the lease expired).
   * Taken and at once released: the next claim of such a trial admits it
   * (hit, or takes the lease itself). Returns how many keys were freed.
   */
  async recheck(): Promise<number> {
    let freed = 0;
    for (const key of [...this.#waiting]) {
      const id = PRETRAIN_ARTIFACT_PREFIX + key;
      if (!(await this.o.artifacts.acquireLease(id, this.o.owner, this.o.leaseSeconds))) continue;
      await this.o.artifacts.releaseLease(id, this.o.owner);
      this.#waiting.delete(key);
      freed++;
    }
    return freed;
  }

  /** Waits for uploads in flight, then frees any lease still held (a sweep stopped before its builder ended). */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    for (const key of this.#leased)
      await this.o.artifacts.releaseLease(PRETRAIN_ARTIFACT_PREFIX + key, this.o.owner).catch(() => undefined);
    this.#leased.clear();
  }

  #track(p: Promise<void>): void {
    const q = p
      .catch((e: unknown) => this.o.note(`pretraining sharing: ${(e as Error).message ?? String(e)}`))
      .finally(() => this.#pending.delete(q));
    this.#pending.add(q);
  }
}

/** Whether the local cache holds a whole, intact entry of `key`. */
async function localEntry(dir: string, key: string): Promise<boolean> {
  const bytes = await readFile(pretrainPath(dir, key)).catch(() => null);
  return bytes !== null && checkPretrainEntry(bytes, key) === null;
}
