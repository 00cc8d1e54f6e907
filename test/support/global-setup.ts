import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureTemporalCli } from '../../src/temporal/tools/temporal-cli';
import { ensureTestServer } from '../../src/temporal/tools/test-server';
import { publishCampaignFolder } from '../../src/ops/campaign-publish';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { connectClient, FAILURE_CONVERTER_PATH } from '../../src/temporal/client-connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from './ports';

const log = (message: string) => console.error(`[test setup] ${message}`);

/**
 * Once per `npm test` run: obtains the Temporal CLI and test server, provides a real Postgres
 * (DATABASE_URL, else a throwaway embedded PostgreSQL, as `npm start` runs) and a real dev Temporal server (TEMPORAL_ADDRESS, else one
 * started here), applies migrations and bundles the workflows. Test files read the results from env.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const stops: (() => Promise<void>)[] = [];
  (globalThis as { __beckonTestStops?: typeof stops }).__beckonTestStops = stops;

  process.env.TEMPORAL_TEST_SERVER_PATH = await ensureTestServer({ log });
  process.env.TEMPORAL_CLI_PATH = await ensureTemporalCli({ log });

  if (!process.env.DATABASE_URL) {
    const embedded = await startEmbeddedPostgres({ port: 0 });
    stops.push(() => embedded.stop());
    process.env.TEST_DATABASE_URL = embedded.url;
    log(`DATABASE_URL unset: embedded PostgreSQL on ${embedded.url} (data in ${embedded.dataDir})`);
  } else {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
  }
  const pool = createPool(process.env.TEST_DATABASE_URL, 2);
  await migrate(pool);
  await publishCampaignFolder(pool, join(__dirname, '..', '..', 'campaigns'));
  await pool.end();

  if (!process.env.TEMPORAL_ADDRESS) {
    const server = startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH, port: await freePort(), namespace: 'default' });
    stops.push(() => server.stop());
    const client = await connectClient({ address: server.address, namespace: 'default', waitMs: 60_000 });
    await client.connection.close();
    process.env.TEST_TEMPORAL_ADDRESS = server.address;
    log(`dev Temporal server on ${server.address}`);
  } else {
    process.env.TEST_TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS;
  }

  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: quietLogger });
  const bundlePath = join(tmpdir(), `beckon-workflows-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => log(message),
  error: (message: string) => log(message),
};
