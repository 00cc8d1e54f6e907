import { resolve } from 'node:path';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { runMain } from '../src/process';

/**
 * `npm run postgres`: the embedded Postgres (PGlite) alone, for running `npm run worker` and
 * `npm run api` as separate processes on one machine without installing PostgreSQL.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = resolve(config.DATA_DIR, 'pglite');
  const postgres = await startEmbeddedPostgres({ port: config.EMBEDDED_PG_PORT, dataDir });
  console.log(`embedded Postgres ready: DATABASE_URL=${postgres.url} (data in ${dataDir})`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await postgres.stop();
}

runMain(main);
