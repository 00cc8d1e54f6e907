import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, preHandlerAsyncHookHandler } from 'fastify';
import type { Pool } from 'pg';
import type { AdminTokenRepository } from '../db/admin-token-repository';
import type { ConsentRepository } from '../db/consent-repository';
import type { DevOutboxRepository } from '../db/dev-outbox-repository';
import type { HealthRepository } from '../db/health-repository';
import type { InboxFeed } from '../db/inbox-feed';
import type { InboxRepository } from '../db/inbox-repository';
import type { SourceRepository } from '../db/source-repository';
import type { UserRepository } from '../db/user-repository';
import type { CampaignOps } from '../ops/campaign-ops';
import type { RerunOps } from '../ops/rerun-ops';
import type { UserOps } from '../ops/user-ops';
import type { PrivacyOps } from '../ops/privacy-ops';
import type { CampaignStatsOps } from '../ops/campaign-stats-ops';
import type { CampaignStatsRepository } from '../db/campaign-stats-repository';
import type { ApiMetrics } from '../metrics/api-metrics';
import type { AdmissionGate } from '../util/admission-gate';
import type { DeliveryPolicy } from '../domain/campaign/campaign-schema';
import type { LinkSigner } from '../privacy/signed-links';
import type { ClientAuth } from './auth/client-auth';
import type { EngagementReporter } from './engagement-reporter';
import type { Ingest } from './ingestion';
import type { SigningKeyVault } from '../privacy/signing-key-vault';

/** What the API is built over: connections, keys and settings; the entry point (`src/api.ts`) has them. */
export interface ApiBase {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  pseudonymize: (userId: string) => string;
  /** The campaign catalog revision, cached: stamped on each event so user workflows reload campaigns only when they change. */
  catalogRevision: () => Promise<number>;
  /** Bounds the signal-with-starts in flight to Temporal (TEMPORAL_SIGNALS_IN_FLIGHT); one per API process. */
  signalGate: AdmissionGate;
  /** Checks the signed links in messages (unsubscribe, open, click) and push open reports. */
  linkSigner: LinkSigner;
  /** Opens the sources' signing keys, which check user tokens (derived from PSEUDONYM_KEY). */
  signingKeyVault: SigningKeyVault;
  /** policy.yaml as published; by default read from Postgres at most once a second (tests hand their own). */
  deliveryPolicy?: () => Promise<DeliveryPolicy | undefined>;
  /** How long an erasure request waits for the erasure workflow before answering 202 (ERASURE_WAIT_MS). */
  erasureWaitMs: number;
  /** True under `npm start` with its dev sinks: serves GET /v1/dev/mail and /v1/dev/push. */
  devSinks?: boolean;
  /** Calls, ingest latency and events by outcome, served at GET /metrics; made by src/api.ts. */
  metrics?: ApiMetrics;
}

/**
 * What the routes take: repositories and services, each built once by `createApiDeps` in
 * `src/api.ts` (one write-key cache, one engagement reporter, one inbox feed), never by a route.
 */
export interface ApiDeps extends ApiBase {
  log: FastifyBaseLogger;
  sources: SourceRepository;
  /** Admits a request only with a live write key (one key cache for every route that takes one). */
  requireSource: preHandlerAsyncHookHandler;
  /** Admits a user's own client routes: their token, a ticket, or the source's signing key (one cache of signing keys). */
  clientAuth: ClientAuth;
  ingest: Ingest;
  engagement: EngagementReporter;
  /** Started with the API: new inbox messages for the live streams. */
  inboxFeed: InboxFeed;
  inbox: InboxRepository;
  consents: ConsentRepository;
  users: UserRepository;
  adminTokens: AdminTokenRepository;
  devOutbox: DevOutboxRepository;
  health: HealthRepository;
  campaignOps: CampaignOps;
  rerunOps: RerunOps;
  userOps: UserOps;
  /** Erasure, export and suppression of one person. */
  privacyOps: PrivacyOps;
  /** Counts the roll-up gets outside the send path (link unsubscribes). */
  campaignStats: CampaignStatsRepository;
  campaignStatsOps: CampaignStatsOps;
}
