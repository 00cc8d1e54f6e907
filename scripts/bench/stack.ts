import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { startApi, type RunningApi } from '../../src/api';
import { publishCampaignFolder } from '../../src/campaigns/publish';
import { loadConfig, type Config } from '../../src/config';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createSourceRepository } from '../../src/db/sources';
import { payloadCodecFor } from '../../src/temporal/codec';
import { connectClient } from '../../src/temporal/connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { startWorker } from '../../src/worker';
import { freePort } from '../../test/support/ports';
import { ensureTemporalCli } from '../tools/temporal-cli';

export interface BenchStack {
  config: Config;
  pool: Pool;
  temporal: Client;
  api: RunningApi;
  writeKey: string;
  pseudonymKey: string;
  /** What the run stands on, for the report. */
  describe: { postgres: string; temporal: string };
  stop(): Promise<void>;
}

const say = (line: string) => console.error(`[bench] ${line}`);

/**
 * The whole service in this process, as `npm start` runs it: the configured Postgres and Temporal
 * (DATABASE_URL, TEMPORAL_ADDRESS) or embedded PGlite and a dev server, a worker and the API.
 */
export async function startBenchStack(overrides: Partial<Config> = {}): Promise<BenchStack> {
  const base = loadConfig();
  const stops: (() => Promise<unknown>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'beckon-bench-'));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    let databaseUrl = base.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ port: 0 });
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    let address = base.TEMPORAL_ADDRESS;
    if (!address) {
      const cliPath = await ensureTemporalCli({ log: say });
      const server = startDevServer({ cliPath, port: await freePort(), namespace: base.TEMPORAL_NAMESPACE });
      stops.push(() => server.stop());
      address = server.address;
    }
    const pseudonymKey = base.PSEUDONYM_KEY ?? 'bench-key-'.padEnd(48, 'b');
    const config: Config = { ...base, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, PORT: 0, LOG_LEVEL: 'warn', ...overrides };
    const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX);
    stops.push(() => pool.end());
    await migrate(pool);
    await publishCampaignFolder(pool, config.CAMPAIGNS_DIR);
    const payloadCodec = payloadCodecFor(pseudonymKey);
    const temporal = await connectClient({ address, namespace: config.TEMPORAL_NAMESPACE, waitMs: 60_000, payloadCodec });
    stops.push(() => temporal.connection.close());
    await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
    const worker = await startWorker({ config, pool, pseudonymKey, payloadCodec });
    stops.push(() => worker.shutdown());
    const api = await startApi({ config, pool, temporal, pseudonymKey });
    stops.push(() => api.app.close());
    const { writeKey } = await createSourceRepository(pool).create(`bench ${new Date().toISOString()}`);
    return {
      config,
      pool,
      temporal,
      api,
      writeKey,
      pseudonymKey,
      describe: {
        postgres: base.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite',
        temporal: base.TEMPORAL_ADDRESS ? `TEMPORAL_ADDRESS ${address}` : 'Temporal CLI dev server (in memory)',
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
