// The shared Storage suite (suite.ts) on the PostgreSQL backend, against a
// real server (pg-server.ts): every case SQLite passes, PostgreSQL passes.
// The clock: staleness is judged by the server's now(), which a test cannot
// move; moving every stored heartbeat back by the same amount is the same
// thing as the server's clock moving forward, as far as staleness can tell.
import { after, before } from 'node:test';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import { startPgServer, type PgServer } from './pg-server.js';
import { storageSuite } from './suite.js';

let server: PgServer;
before(async () => {
  server = await startPgServer();
});
after(async () => {
  await server?.stop();
});

storageSuite(
  'postgresql',
  async () => {
    const db = await server.freshDatabase('suite');
    const url = server.url(db);
    const storage = await openPostgresStorage(url);
    const reopened: Awaited<ReturnType<typeof openPostgresStorage>>[] = [];
    return {
      storage,
      address: url,
      reopen: async () => {
        const s = await openPostgresStorage(url);
        reopened.push(s);
        return s;
      },
      advanceClock: async (seconds) => {
        await server.sql(db, 'UPDATE trial_heartbeats SET heartbeat = heartbeat - make_interval(secs => $1)', [
          seconds,
        ]);
      },
      cleanup: async () => {
        await storage.close();
        for (const s of reopened) await s.close().catch(() => undefined);
      },
    };
  },
  { childBackend: 'postgres' },
);
