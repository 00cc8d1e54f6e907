import type { Agent } from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type InjectedSinks, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createActivities } from './activities';
import type { ChannelSender } from './activities/channels/channel-sender';
import { createEmailSender, createSmtpTransport } from './activities/channels/email-sender';
import { createInAppSender } from './activities/channels/in-app-sender';
import { createFirebaseMessaging, createPushSender } from './activities/channels/push-sender';
import { createWebhookSender } from './activities/channels/webhook-sender';
import type { ErasureFaultPoint } from './activities/erasure-activities';
import type { FaultPoint } from './activities/send-path';
import { ConfigError, loadConfig, publicUrl, requireSetting, temporalAddress, type Config } from './config';
import { createProfileRepository } from './db/profile-repository';
import type { Channel } from './domain/campaign/campaign-schema';
import { createLinkSigner, deriveLinkKey } from './privacy/signed-links';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { runMain } from './process';
import { serveMetrics } from './metrics/metrics-server';
import { createSendMetrics, journeyMetricsSinks, type SendMetrics } from './metrics/worker-metrics';
import type { JourneyMetricsSinks } from './workflows/journey-metrics-interceptor';
import { beckonDataConverter } from './temporal/client-connection';
import { configuredPayloadCodec, followKeyDestructions, type EncryptionCodec } from './temporal/payload-codec';

export interface BeckonWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after `shutdown`). */
  running: Promise<void>;
  shutdown(): Promise<void>;
}

/** The channels this worker sends on, from configuration; `extra` adds senders such as npm start's dev push log. */
export function channelSenders(
  config: Config,
  pool: Pool,
  pseudonymKey: string,
  extra: Partial<Record<Channel, ChannelSender>> = {},
  /** Carries firebase-admin's requests (a proxy; tests point it at their own Google peer). */
  firebaseAgent?: Agent,
) {
  const senders: Partial<Record<Channel, ChannelSender>> = { in_app: createInAppSender({ pool }) };
  if (config.SMTP_HOST) {
    const transport = createSmtpTransport({
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      requireTls: config.SMTP_REQUIRE_TLS,
      ...(config.SMTP_USER && { user: config.SMTP_USER }),
      ...(config.SMTP_PASSWORD && { password: config.SMTP_PASSWORD }),
      pool: config.SMTP_POOL,
    });
    senders.email = createEmailSender({ transport, from: config.EMAIL_FROM, links: createLinkSigner(deriveLinkKey(pseudonymKey)), publicUrl: publicUrl(config) });
  }
  if (config.FIREBASE_SERVICE_ACCOUNT) {
    const profiles = createProfileRepository(pool);
    senders.push = createPushSender({
      messaging: createFirebaseMessaging(config.FIREBASE_SERVICE_ACCOUNT, firebaseAgent),
      removeToken: (token) => profiles.removePushToken(token),
      links: createLinkSigner(deriveLinkKey(pseudonymKey)),
    });
  }
  if (config.WEBHOOK_SECRET) senders.webhook = createWebhookSender({ secret: config.WEBHOOK_SECRET, timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  return { ...senders, ...extra };
}

/** Tests only: the first send that reaches the configured point kills this process, as a crash would. */
function faultInjector(point: FaultPoint | ErasureFaultPoint | undefined): (at: FaultPoint | ErasureFaultPoint) => void {
  return (at) => {
    if (at !== point) return;
    console.error(`[fault] SIGKILL at ${at}`);
    process.kill(process.pid, 'SIGKILL');
  };
}

/** Workflow interceptors the worker loads (journeys started and ended, counted through a sink); a prebuilt bundle passes them to bundleWorkflowCode. */
export const workflowInterceptorModules = [require.resolve('./workflows/journey-metrics-interceptor')];

/**
 * Pure libraries workflows import, evaluated once per reusable V8 context instead of once per new
 * workflow (the SDK evaluates the workflow module graph again for each one). Only modules without
 * per-workflow state belong here; a prebuilt bundle passes them to bundleWorkflowCode.
 */
export const workflowPreloadModules = ['luxon'];

/** Worker options the benches vary to measure a lever (BENCHMARKS.md, "Levers"); production uses the defaults below. */
export type WorkerTuning = Pick<WorkerOptions, 'nonStickyToStickyPollRatio' | 'workflowTaskPollerBehavior' | 'activityTaskPollerBehavior'> & { preloadModules?: string[] };

const uncountedJourneys: InjectedSinks<JourneyMetricsSinks> = {
  journeyMetrics: { started: { fn: () => undefined }, ended: { fn: () => undefined } },
};

/** Connects to Temporal and starts polling Beckon's task queue with every workflow and activity. */
export async function startWorker(options: {
  config: Config;
  pool: Pool;
  /** Signs the unsubscribe, open and click links in messages; every worker and API replica shares it. */
  pseudonymKey: string;
  /** Senders beside the configured ones (npm start's dev sinks). */
  extraSenders?: Partial<Record<Channel, ChannelSender>>;
  /** A prebuilt workflow bundle (tests build it once); by default the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Must match the clients' codec: it decrypts what they sent and encrypts what workflows write. */
  payloadCodec?: PayloadCodec;
  /** Carries firebase-admin's requests; by default it connects to Google directly. */
  firebaseAgent?: Agent;
  /** Counts sends for the worker's /metrics. */
  sendMetrics?: SendMetrics;
  /** Counts journeys started and ended (the sink of src/workflows/journey-metrics-interceptor.ts). */
  journeySinks?: InjectedSinks<JourneyMetricsSinks>;
  tuning?: WorkerTuning;
}): Promise<BeckonWorker> {
  const { config, pool } = options;
  const { preloadModules = workflowPreloadModules, ...pollers } = options.tuning ?? {};
  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // A prebuilt bundle carries its interceptors from bundleWorkflowCode (workflowInterceptorModules).
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows'), interceptors: { workflowModules: workflowInterceptorModules }, bundlerOptions: { preloadModules } }),
    ...pollers,
    activities: createActivities({
      pool,
      senders: channelSenders(config, pool, options.pseudonymKey, options.extraSenders, options.firebaseAgent),
      fault: faultInjector(config.BECKON_FAULT_POINT),
      ...(options.sendMetrics && { metrics: options.sendMetrics }),
      deleteConcurrency: config.ERASURE_DELETE_CONCURRENCY,
      onKeysDestroyed: (pseudonyms) => (options.payloadCodec as EncryptionCodec | undefined)?.forgetUsers?.(pseudonyms),
    }),
    // The interceptor calls the sink in every worker that bundles it; without a registry the calls go nowhere.
    sinks: options.journeySinks ?? uncountedJourneys,
    dataConverter: beckonDataConverter(options.payloadCodec),
  });
  // A user's key destroyed by an erasure anywhere leaves this worker's codec cache at once.
  const keyFeed = await followKeyDestructions(options.payloadCodec, pool, {
    warn: (message) => {
      Runtime.instance().logger.warn(message);
    },
  });
  const running = worker.run().finally(async () => {
    await keyFeed?.close();
    await connection.close();
  });
  return {
    worker,
    running,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/**
 * `npm run worker`: the worker alone, against the configured Temporal and Postgres, until SIGINT or
 * SIGTERM. Test harnesses that run it as a process of its own may hand it a prebuilt bundle and an
 * agent for firebase-admin (scripts/chaos/worker.ts).
 */
export async function runWorkerProcess(options: { workflowBundle?: WorkerOptions['workflowBundle']; firebaseAgent?: Agent } = {}): Promise<void> {
  const config = loadConfig();
  const databaseUrl = requireSetting(config, 'DATABASE_URL', 'the worker alone needs a Postgres; `npm start` runs an embedded one');
  const pseudonymKey = requireSetting(config, 'PSEUDONYM_KEY', 'the worker signs links in messages and decrypts payloads with keys derived from it; share it with the API');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sdkMetricsAddress = config.METRICS_PORT === undefined ? undefined : `127.0.0.1:${config.TEMPORAL_SDK_METRICS_PORT ?? config.METRICS_PORT + 1}`;
  installRuntime(config, sdkMetricsAddress);
  const metrics = config.METRICS_PORT === undefined ? undefined : await serveMetrics({ registry, host: config.HOST, port: config.METRICS_PORT, sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics` });
  const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, (err) => console.error('postgres:', err.message));
  await migrate(pool);
  const sendMetrics = createSendMetrics(registry);
  const beckon = await startWorker({
    config,
    pool,
    pseudonymKey,
    payloadCodec: configuredPayloadCodec(config, pseudonymKey, pool),
    sendMetrics,
    journeySinks: journeyMetricsSinks(registry),
    ...options,
  });
  if (metrics) console.log(`worker metrics on ${metrics.url}`);
  console.log(`worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${temporalAddress(config)}`);
  const stop = async () => {
    await beckon.shutdown();
    await metrics?.close();
    await pool.end();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await beckon.running;
  await pool.end().catch(() => {});
}

/** LOG_LEVEL's names as the SDK's logger spells them; `fatal` keeps its errors, `silent` drops everything. */
const SDK_LOG_LEVELS = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' } as const;

/**
 * The SDK runtime of the worker process, before any connection fixes it: its logger at LOG_LEVEL (workflow and
 * worker lines alike; without it the SDK logs every journey start at INFO whatever LOG_LEVEL says), and, with
 * METRICS_PORT, its own Prometheus figures on `sdkMetricsAddress`, which the worker's /metrics appends to Beckon's.
 */
function installRuntime(config: Config, sdkMetricsAddress: string | undefined): void {
  const logger = config.LOG_LEVEL === 'silent' ? new DefaultLogger('ERROR', () => {}) : new DefaultLogger(SDK_LOG_LEVELS[config.LOG_LEVEL]);
  if (sdkMetricsAddress === undefined) {
    Runtime.install({ logger });
    return;
  }
  try {
    Runtime.install({ logger, telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } } });
  } catch (err) {
    const reason = `the Temporal runtime cannot export its metrics on ${sdkMetricsAddress}: ${(err as Error).message}`;
    const defaulted = config.TEMPORAL_SDK_METRICS_PORT === undefined ? ' (unset: METRICS_PORT + 1); set a free port' : '';
    throw new ConfigError([{ variable: 'TEMPORAL_SDK_METRICS_PORT', reason: `${reason}${defaulted}` }]);
  }
}

if (require.main === module) runMain(() => runWorkerProcess());
