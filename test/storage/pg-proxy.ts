// A TCP proxy in front of the test server that can cut a connection at the
// worst moment of a write transaction: just before the client's COMMIT reaches
// the server (the transaction aborts), or just after the server committed but
// before its reply reaches the client (the client cannot know it committed).
// Real sockets and the real wire protocol: the storage sees exactly what a
// network failure or a server restart at that instant shows it.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Cut = 'before-commit' | 'after-commit';

export interface PgProxy {
  readonly port: number;
  /** Cuts the next connection that sends (or is answered) COMMIT; resolves when it did. */
  arm(cut: Cut): Promise<void>;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** Splits a protocol stream into whole messages (type byte + int32 length; the first client message has no type). */
class Frames {
  #buf = Buffer.alloc(0);
  constructor(private untypedFirst: boolean) {}
  push(chunk: Buffer): Buffer[] {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const head = this.untypedFirst ? 0 : 1;
      if (this.#buf.length < head + 4) break;
      const len = this.#buf.readInt32BE(head);
      if (this.#buf.length < head + len) break;
      out.push(this.#buf.subarray(0, head + len));
      this.#buf = this.#buf.subarray(head + len);
      // SSLRequest/startup are untyped; everything after the startup message is typed.
      if (this.untypedFirst && len !== 8) this.untypedFirst = false;
    }
    return out;
  }
}

const isCommitQuery = (m: Buffer) =>
  m[0] === 0x51 /* Q */ &&
  /^COMMIT\b/i.test(
    m
      .subarray(5, m.length - 1)
      .toString('utf8')
      .trim(),
  );
const isCommitDone = (m: Buffer) => m[0] === 0x43 /* C */ && m.subarray(5, m.length - 1).toString('utf8') === 'COMMIT';

export async function startPgProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<PgProxy> {
  let armed: { cut: Cut; done: () => void } | null = null;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill).on('close', kill);
    upstream.on('error', kill).on('close', kill);
    const fromClient = new Frames(true);
    const fromServer = new Frames(false);
    client.on('data', (chunk: Buffer) => {
      for (const m of fromClient.push(chunk)) {
        if (armed?.cut === 'before-commit' && isCommitQuery(m)) {
          const a = armed;
          armed = null;
          cuts++;
          kill();
          a.done();
          return;
        }
        upstream.write(m);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const m of fromServer.push(chunk)) {
        if (armed?.cut === 'after-commit' && isCommitDone(m)) {
          const a = armed;
          armed = null;
          cuts++;
          kill();
          a.done();
          return;
        }
        client.write(m);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    arm: (cut) => new Promise<void>((done) => (armed = { cut, done })),
    get cuts() {
      return cuts;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
