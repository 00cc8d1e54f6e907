import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config';
import { pgliteLeftoverNotice, startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { runMain } from '../src/process';

/**
 * `npm run postgres`: the embedded PostgreSQL of `npm start` alone (data under DATA_DIR/postgres), for the tests
 * and for running `npm run worker` and `npm run api` as separate processes without installing PostgreSQL.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = resolve(config.DATA_DIR);
  const leftover = pgliteLeftoverNotice(dataDir);
  if (leftover) console.log(leftover);
  const postgres = await startEmbeddedPostgres({ port: config.EMBEDDED_PG_PORT, dataDir: join(dataDir, 'postgres'), log: console.log });
  console.log(`embedded PostgreSQL ready: DATABASE_URL=${postgres.url} (data in ${postgres.dataDir}; Ctrl-C stops it)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await postgres.stop();
  console.log('stopped');
}

runMain(main);
