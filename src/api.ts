import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { buildApp } from './api/app';
import { createClientAuth } from './api/auth/client-auth';
import { cachedWriteKeyCheck, requireSource } from './api/auth/source-auth';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApiMetrics, type ApiMetrics } from './metrics/api-metrics';
import { cachedRevision } from './api/catalog-revision';
import type { ApiBase, ApiDeps } from './api/deps';
import { createEngagementReporter, scheduleEngagementRetries } from './api/engagement-reporter';
import { createIngestion } from './api/ingestion';
import { createSignalGate } from './api/user-signals';
import { describePublish, publishCampaignFolder } from './ops/campaign-publish';
import { createCampaignOps } from './ops/campaign-ops';
import { createRerunOps } from './ops/rerun-ops';
import { createUserOps } from './ops/user-ops';
import { createPrivacyOps } from './ops/privacy-ops';
import { createCampaignStatsOps } from './ops/campaign-stats-ops';
import { createExperimentOutcomeOps } from './ops/experiment-outcome-ops';
import { createCampaignStatsRepository } from './db/campaign-stats-repository';
import { createAdminTokenRepository } from './db/admin-token-repository';
import { createCampaignRepository } from './db/campaign-repository';
import { createConsentRepository } from './db/consent-repository';
import { createDevOutboxRepository } from './db/dev-outbox-repository';
import { createHealthRepository } from './db/health-repository';
import { startInboxFeed, type InboxFeedOptions } from './db/inbox-feed';
import { createInboxRepository } from './db/inbox-repository';
import { createIngestionLedgerRepository } from './db/ingestion-ledger-repository';
import { createSourceRepository } from './db/source-repository';
import { createStreamTicketRepository } from './db/stream-ticket-repository';
import { createUserRepository } from './db/user-repository';
import { createRetentionRepository } from './db/retention-repository';
import { loadConfig, requireSetting, temporalAddress, type Config } from './config';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createPseudonymizer } from './privacy/pseudonym';
import { createLinkSigner, deriveLinkKey } from './privacy/signed-links';
import { createSigningKeyVault, deriveVaultKey } from './privacy/signing-key-vault';
import { runMain } from './process';
import { runPeriodically } from './util/periodic';
import { configuredPayloadCodec, followKeyDestructions, type EncryptionCodec } from './temporal/payload-codec';
import { connectClient } from './temporal/client-connection';
import { ensureSearchAttributes } from './temporal/search-attribute-registration';

export interface RunningApi {
  app: FastifyInstance;
  url: string;
}

/** How often each API process hands engagement that Temporal missed to the user workflows. */
const ENGAGEMENT_RETRY_MS = 30_000;

export interface ApiDepsOptions {
  /** The log of the API and its services; by default one at `logLevel`. */
  log?: FastifyBaseLogger;
  logLevel?: string;
  /** The inbox streams' change feed (tests force polling). */
  inboxFeed?: Omit<InboxFeedOptions, 'log'>;
}

/** The routes' repositories and services, each built once; `close` stops their background work (after the app closed). */
export type RunningApiDeps = ApiDeps & { close(): Promise<void> };

/**
 * Builds everything the routes take, once per API process: one write-key cache for ingestion and
 * the app-facing routes, one engagement reporter with its retry loop, one inbox feed.
 */
export async function createApiDeps(base: ApiBase, options: ApiDepsOptions = {}): Promise<RunningApiDeps> {
  const log: FastifyBaseLogger = options.log ?? pino({ level: options.logLevel ?? 'info' });
  const { pool } = base;
  const engagement = createEngagementReporter(base, log);
  const inboxFeed = await startInboxFeed(pool, { log: { info: (m) => log.info(m), warn: (m) => log.warn(m) }, ...options.inboxFeed });
  const stopRetries = scheduleEngagementRetries(engagement, ENGAGEMENT_RETRY_MS, log);
  const sources = createSourceRepository(pool, base.signingKeyVault);
  const checkWriteKey = cachedWriteKeyCheck(sources);
  const userOps = createUserOps(base);
  return {
    ...base,
    log,
    sources,
    requireSource: requireSource(checkWriteKey),
    clientAuth: createClientAuth(sources, { tickets: createStreamTicketRepository(pool), checkWriteKey, log }),
    ingest: createIngestion(base),
    engagement,
    inboxFeed,
    inbox: createInboxRepository(pool),
    consents: createConsentRepository(pool),
    users: createUserRepository(pool),
    adminTokens: createAdminTokenRepository(pool),
    devOutbox: createDevOutboxRepository(pool),
    health: createHealthRepository(pool),
    campaignOps: createCampaignOps(base),
    rerunOps: createRerunOps(base),
    userOps,
    privacyOps: createPrivacyOps({ ...base, userOps }),
    campaignStats: createCampaignStatsRepository(pool),
    campaignStatsOps: createCampaignStatsOps(base),
    async close() {
      await stopRetries();
      await engagement.settle();
      await inboxFeed.close();
    },
  };
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
  metrics?: ApiMetrics;
}): Promise<RunningApi> {
  const codecOrigin = options.config.CODEC_UI_ORIGIN;
  const { config } = options;
  const deps = await createApiDeps(
    {
      pool: options.pool,
      temporal: options.temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      pseudonymize: createPseudonymizer(options.pseudonymKey),
      catalogRevision: cachedRevision(() => createCampaignRepository(options.pool).revision()),
      signalGate: createSignalGate(config.TEMPORAL_SIGNALS_IN_FLIGHT),
      linkSigner: createLinkSigner(deriveLinkKey(options.pseudonymKey)),
      signingKeyVault: createSigningKeyVault(deriveVaultKey(options.pseudonymKey)),
      erasureWaitMs: config.ERASURE_WAIT_MS,
      ...(options.devSinks && { devSinks: true }),
      ...(options.metrics && { metrics: options.metrics }),
    },
    { logLevel: config.LOG_LEVEL },
  );
  const app = await buildApp(deps, {
    ingestRateLimit: config.INGEST_RATE_LIMIT,
    codec: codecOrigin ? { codec: options.payloadCodec, uiOrigin: codecOrigin.replace(/\/+$/, '') } : undefined,
    console: { namespace: config.TEMPORAL_NAMESPACE, ...(config.TEMPORAL_UI_URL && { temporalUiUrl: config.TEMPORAL_UI_URL }) },
  });
  // A user's key destroyed by an erasure in any process leaves this API's codec cache (client and Web UI endpoint) at once.
  const keyFeed = await followKeyDestructions(options.payloadCodec, options.pool, { warn: (message) => deps.log.warn(message) });
  // After the routes' own hooks: open streams and requests are done before their services stop.
  app.addHook('onClose', async () => {
    await deps.close();
    await keyFeed?.close();
  });
  pruneLedgerPeriodically(app, options.pool, config);
  decideExperimentsPeriodically(app, options.pool, config);
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
  const ledger = createIngestionLedgerRepository(pool);
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

/**
 * Every EXPERIMENT_LOOP_SECONDS: applies auto winner rules that are met and significant, and settles the
 * engaged sessions after messages; every replica may do it (a decision is recorded once per version).
 */
function decideExperimentsPeriodically(app: FastifyInstance, pool: Pool, config: Config): void {
  const outcomes = createExperimentOutcomeOps({ pool });
  const stop = runPeriodically(
    config.EXPERIMENT_LOOP_SECONDS * 1000,
    async () => {
      for (const decided of await outcomes.decideWinners()) app.log.info(decided, `winner of ${decided.campaignId} v${decided.version}: ${decided.variant}`);
      await outcomes.settleSessions();
    },
    (err) => app.log.warn({ err }, 'could not apply winner rules or settle engaged sessions; will try again'),
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
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const api = await startApi({ config, pool, temporal, pseudonymKey, payloadCodec, metrics: createApiMetrics(registry) });
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
