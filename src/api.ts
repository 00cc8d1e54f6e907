import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from './api/app';
import { cachedRevision } from './api/catalog-revision';
import { describePublish, publishCampaignFolder } from './ops/campaign-publish';
import { createCampaignRepository } from './db/campaign-repository';
import { createIngestionLedger } from './db/ingestion-ledger-repository';
import { createRetentionRepository } from './db/retention-repository';
import { loadConfig, requireSetting, temporalAddress, type Config } from './config';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createPseudonymizer } from './privacy/pseudonym';
import { createLinkSigner, deriveLinkKey } from './privacy/signed-links';
import { runMain } from './process';
import { runPeriodically } from './util/periodic';
import { configuredPayloadCodec, type EncryptionCodec } from './temporal/payload-codec';
import { connectClient } from './temporal/client-connection';
import { ensureSearchAttributes } from './temporal/search-attribute-registration';

export interface RunningApi {
  app: FastifyInstance;
  url: string;
}

/** Builds the API over its dependencies and starts listening. */
export async function startApi(options: {
  config: Config;
  pool: Pool;
  temporal: Client;
  pseudonymKey: string;
  /** The codec the client uses; the Web UI's codec endpoint decodes with the same keys. */
  payloadCodec: EncryptionCodec;
  devSinks?: boolean;
}): Promise<RunningApi> {
  const codecOrigin = options.config.CODEC_UI_ORIGIN;
  const { config } = options;
  const app = await buildApp(
    {
      pool: options.pool,
      temporal: options.temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      pseudonymize: createPseudonymizer(options.pseudonymKey),
      catalogRevision: cachedRevision(() => createCampaignRepository(options.pool).revision()),
      linkSigner: createLinkSigner(deriveLinkKey(options.pseudonymKey)),
      ...(options.devSinks && { devSinks: true }),
    },
    {
      logLevel: config.LOG_LEVEL,
      ingestRateLimit: config.INGEST_RATE_LIMIT,
      codec: codecOrigin ? { codec: options.payloadCodec, uiOrigin: codecOrigin.replace(/\/+$/, '') } : undefined,
    },
  );
  pruneLedgerPeriodically(app, options.pool, config);
  await app.listen({ host: config.HOST, port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  return { app, url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}` };
}

/**
 * Hourly: forgets messageIds older than the dedup window and deletes what is past its retention
 * (RETAIN_* settings); every replica may do it, the statements are idempotent.
 */
function pruneLedgerPeriodically(app: FastifyInstance, pool: Pool, config: Config): void {
  const ledger = createIngestionLedger(pool);
  const retention = createRetentionRepository(pool);
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
  const stop = runPeriodically(
    3_600_000,
    async () => {
      const removed = await ledger.prune(daysAgo(config.INGEST_DEDUP_DAYS));
      if (removed > 0) app.log.info({ removed }, 'pruned old messageIds from the ingestion ledger');
      const expired = await retention.prune({
        deliveries: daysAgo(config.RETAIN_DELIVERIES_DAYS),
        engagement: daysAgo(config.RETAIN_ENGAGEMENT_DAYS),
        inbox: daysAgo(config.RETAIN_INBOX_DAYS),
        erasureDetails: daysAgo(config.RETAIN_ERASURE_DETAILS_DAYS),
      });
      if (Object.values(expired).some((n) => n > 0)) app.log.info({ expired }, 'deleted rows past their retention');
    },
    (err) => app.log.warn({ err }, 'could not prune the ingestion ledger or expired rows; will try again'),
  );
  app.addHook('onClose', stop);
}

/** `npm run api`: the API alone, against the configured Temporal and Postgres. */
async function main(): Promise<void> {
  const config = loadConfig();
  const databaseUrl = requireSetting(config, 'DATABASE_URL', 'the API alone needs a Postgres; `npm start` runs an embedded one');
  const pseudonymKey = requireSetting(config, 'PSEUDONYM_KEY', 'the API alone must share the key of every other API replica');
  const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, (err) => console.error('postgres:', err.message));
  await migrate(pool);
  console.log(`campaigns: ${describePublish(await publishCampaignFolder(pool, config.CAMPAIGNS_DIR))}`);
  const payloadCodec = configuredPayloadCodec(config, pseudonymKey, pool);
  const temporal = await connectClient({ address: temporalAddress(config), namespace: config.TEMPORAL_NAMESPACE, waitMs: 30_000, payloadCodec });
  await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE).then(
    (added) => added.length > 0 && console.log(`registered search attributes: ${added.join(', ')}`),
    // Temporal Cloud and locked-down clusters refuse this call; there an operator registers them once (README).
    (err: Error) => console.warn(`could not register search attributes (${err.message}); register them as the README shows`),
  );
  const api = await startApi({ config, pool, temporal, pseudonymKey, payloadCodec });
  console.log(`API listening on ${api.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await api.app.close();
  await temporal.connection.close();
  await pool.end();
}

if (require.main === module) runMain(main);
