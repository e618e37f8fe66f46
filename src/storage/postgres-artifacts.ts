// Shared blobs (pretrained weights) and build leases in tables of ours
// (iae_artifacts, iae_leases; see README.md for why not Optuna's artifact
// convention). Lease expiry is the server's clock, as heartbeats: hosts'
// clocks disagree.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { StorageError } from '../errors/index.js';
import type { Artifact, ArtifactStore } from './storage.js';

/** Runs one statement, retrying a dropped connection (PostgresStorage's runner). */
export type Run = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<R>>;

interface ArtifactRow {
  key: string;
  bytes: Buffer;
  sha256: string;
  created_at: Date;
}

const toArtifact = (r: ArtifactRow): Artifact =>
  Object.freeze({ key: r.key, bytes: new Uint8Array(r.bytes), sha256: r.sha256, createdAt: r.created_at });

export function artifactStore(run: Run, where: string, readonly: boolean): ArtifactStore {
  const refuse = (what: string) => {
    if (readonly) throw new StorageError(`cannot ${what}: the storage was opened read-only`, where);
  };
  return {
    async getArtifact(key) {
      try {
        const r = await run<ArtifactRow>('SELECT key, bytes, sha256, created_at FROM iae_artifacts WHERE key = $1', [
          key,
        ]);
        const row = r.rows[0];
        if (!row) return null;
        // A blob that does not match its checksum is never handed out as weights.
        const actual = createHash('sha256').update(row.bytes).digest('hex');
        if (actual !== row.sha256) {
          throw new StorageError(
            `artifact ${key}: stored sha256 ${row.sha256} but the bytes hash to ${actual} (damaged?); delete its row to rebuild it`,
            where,
          );
        }
        return toArtifact(row);
      } catch (err) {
        // A database Optuna created and only read-only tools opened has no table of ours yet: nothing stored.
        // (The runner has typed the error already: the SQLSTATE is on its cause.)
        const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
        if (code === '42P01') return null;
        throw err;
      }
    },
    async putArtifact(key, bytes) {
      refuse(`store artifact ${key}`);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      // DO NOTHING: the first put wins (same content by construction); a retry after a lost reply is harmless.
      await run('INSERT INTO iae_artifacts (key, bytes, sha256) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [
        key,
        Buffer.from(bytes),
        sha256,
      ]);
      const r = await run<ArtifactRow>('SELECT key, bytes, sha256, created_at FROM iae_artifacts WHERE key = $1', [
        key,
      ]);
      return toArtifact(r.rows[0]);
    },
    async acquireLease(key, holder, seconds) {
      refuse(`take lease ${key}`);
      if (!(seconds > 0)) throw new RangeError(`lease seconds must be > 0, got ${seconds}`);
      // Taken when free, expired (server clock), or already ours (renewal): one statement, so two hosts never both win.
      const r = await run(
        'INSERT INTO iae_leases (key, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3)) ' +
          'ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at ' +
          'WHERE iae_leases.holder = excluded.holder OR iae_leases.expires_at <= now()',
        [key, holder, seconds],
      );
      return r.rowCount === 1;
    },
    async releaseLease(key, holder) {
      refuse(`release lease ${key}`);
      await run('DELETE FROM iae_leases WHERE key = $1 AND holder = $2', [key, holder]);
    },
  };
}
