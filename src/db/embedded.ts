import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** postgres:// URL any pg client can use. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Postgres in this process (PGlite, WASM) behind a Postgres wire-protocol socket, so the rest of
 * Beckon talks to it through `pg` exactly as to a real server. PGlite is one session; its socket
 * server multiplexes clients and keeps a transaction's statements on the client that opened it.
 */
export async function startEmbeddedPostgres(options: {
  /** Folder of the database files, or undefined for an in-memory database. */
  dataDir?: string;
  port: number;
  maxConnections?: number;
}): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ?? 'memory://');
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port,
    maxConnections: options.maxConnections ?? 32,
  });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${address}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
