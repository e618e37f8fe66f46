// ArtifactStore on the study's SQLite file: shared pretrained weights and the
// leases that say who builds them (docs/architecture.md, "Pretraining
// sharing"). Two tables of our own beside Optuna's, created on first write;
// Optuna ignores tables it does not know (test/storage/artifacts.test.ts
// loads such a file with Optuna):
//   iae_artifacts(key text primary key, bytes blob, sha256 text, created_at text)
//   iae_leases(key text primary key, holder text, expires_at text)
// Timestamps are in the file's format (time.ts), so expiry compares strings.
//
// The methods return Promises (the interface is PostgreSQL's too) but run
// synchronously, each in one BEGIN IMMEDIATE transaction: two processes on one
// file never both take a lease.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StorageError } from '../errors/index.js';
import { ArtifactDamagedError } from './artifact-error.js';
import type { Artifact, ArtifactStore } from './storage.js';
import { formatUtc, parseUtc } from './time.js';

interface ArtifactRow {
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly created_at: string;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const DDL = [
  'CREATE TABLE IF NOT EXISTS iae_artifacts (key TEXT NOT NULL PRIMARY KEY, bytes BLOB NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS iae_leases (key TEXT NOT NULL PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL)',
];

export class SqliteArtifactStore implements ArtifactStore {
  readonly #db: Database.Database;
  readonly #file: string;
  /** Milliseconds since the epoch: the wall clock, or a test's. */
  readonly #now: () => number;
  #created = false;

  constructor(db: Database.Database, file: string, now: () => number = Date.now) {
    this.#db = db;
    this.#file = file;
    this.#now = now;
  }

  #stamp(offsetSeconds = 0): string {
    return formatUtc(Math.round((this.#now() + offsetSeconds * 1000) * 1000));
  }

  /** Runs `fn` in one write transaction, the tables created first when absent. */
  #write<T>(fn: () => T): T {
    const out = this.#wrap(() =>
      this.#db
        .transaction(() => {
          if (!this.#created) for (const sql of DDL) this.#db.prepare(sql).run();
          return fn();
        })
        .immediate(),
    );
    // Only after a commit: a rolled back CREATE must be made again.
    this.#created = true;
    return out;
  }

  #wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`artifact store: ${(err as Error).message}`, this.#file, { cause: err });
    }
  }

  #hasTables(): boolean {
    return (
      this.#created ||
      this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'iae_artifacts'").get() !==
        undefined
    );
  }

  #row(key: string): ArtifactRow | undefined {
    return this.#db.prepare('SELECT bytes, sha256, created_at FROM iae_artifacts WHERE key = ?').get(key) as
      ArtifactRow | undefined;
  }

  #artifact(key: string, row: ArtifactRow): Artifact {
    const actual = sha256(row.bytes);
    if (actual !== row.sha256) throw new ArtifactDamagedError(key, this.#file, row.sha256, actual);
    return Object.freeze({
      key,
      bytes: new Uint8Array(row.bytes),
      sha256: row.sha256,
      createdAt: parseUtc(row.created_at) ?? new Date(0),
    });
  }

  async getArtifact(key: string): Promise<Artifact | null> {
    // A read-only (monitor) connection cannot create the tables: none there means no artifact.
    const row = this.#wrap(() => (this.#hasTables() ? this.#row(key) : undefined));
    return row ? this.#artifact(key, row) : null;
  }

  async putArtifact(key: string, bytes: Uint8Array): Promise<Artifact> {
    return this.#write(() => {
      const row = this.#row(key);
      // The first intact copy stays (a second builder made the same content); a damaged one is replaced.
      if (row && sha256(row.bytes) === row.sha256) return this.#artifact(key, row);
      const fresh: ArtifactRow = {
        bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        sha256: sha256(bytes),
        created_at: this.#stamp(),
      };
      this.#db
        .prepare(
          'INSERT INTO iae_artifacts (key, bytes, sha256, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, sha256 = excluded.sha256, created_at = excluded.created_at',
        )
        .run(key, fresh.bytes, fresh.sha256, fresh.created_at);
      return this.#artifact(key, fresh);
    });
  }

  async acquireLease(key: string, holder: string, seconds: number): Promise<boolean> {
    if (!(seconds > 0) || !Number.isFinite(seconds))
      throw new RangeError(`lease seconds must be a positive number (got ${seconds})`);
    return this.#write(() => {
      const now = this.#stamp();
      const row = this.#db.prepare('SELECT holder, expires_at FROM iae_leases WHERE key = ?').get(key) as
        { holder: string; expires_at: string } | undefined;
      if (row && row.holder !== holder && row.expires_at > now) return false;
      this.#db
        .prepare(
          'INSERT INTO iae_leases (key, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at',
        )
        .run(key, holder, this.#stamp(seconds));
      return true;
    });
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    // Only the holder's own lease: one that expired and was taken over is the new holder's.
    this.#write(() => this.#db.prepare('DELETE FROM iae_leases WHERE key = ? AND holder = ?').run(key, holder));
  }
}
