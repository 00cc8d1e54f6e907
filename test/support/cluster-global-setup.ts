import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

/**
 * Once per `npm run test:cluster`: without DATABASE_URL, a throwaway embedded PostgreSQL for the
 * cluster's databases (Beckon's and Temporal's two), as `npm test` has one for its own.
 */
export default async function clusterGlobalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const embedded = await startEmbeddedPostgres({ port: 0 });
  (globalThis as { __beckonTestStops?: (() => Promise<void>)[] }).__beckonTestStops = [() => embedded.stop()];
  process.env.TEST_DATABASE_URL = embedded.url;
  console.error(`[cluster setup] DATABASE_URL unset: embedded PostgreSQL on ${embedded.url}`);
}
