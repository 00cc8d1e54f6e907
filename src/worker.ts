import type { Agent } from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from './activities';
import type { ChannelSender } from './activities/channels/channel-sender';
import { createEmailSender, createSmtpTransport } from './activities/channels/email-sender';
import { createInAppSender } from './activities/channels/in-app-sender';
import { createFirebaseMessaging, createPushSender } from './activities/channels/push-sender';
import { createWebhookSender } from './activities/channels/webhook-sender';
import type { ErasureFaultPoint } from './activities/erasure-activities';
import type { FaultPoint } from './activities/send-path';
import { loadConfig, publicUrl, requireSetting, temporalAddress, type Config } from './config';
import { removePushToken } from './db/profile-repository';
import type { Channel } from './domain/campaign/campaign-schema';
import { createLinkSigner, deriveLinkKey } from './privacy/signed-links';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { runMain } from './process';
import { beckonDataConverter } from './temporal/client-connection';
import { configuredPayloadCodec, type EncryptionCodec } from './temporal/payload-codec';

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
    senders.push = createPushSender({
      messaging: createFirebaseMessaging(config.FIREBASE_SERVICE_ACCOUNT, firebaseAgent),
      removeToken: (token) => removePushToken(pool, token),
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
}): Promise<BeckonWorker> {
  const { config, pool } = options;
  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({
      pool,
      senders: channelSenders(config, pool, options.pseudonymKey, options.extraSenders, options.firebaseAgent),
      fault: faultInjector(config.BECKON_FAULT_POINT),
      onKeysDestroyed: (pseudonyms) => (options.payloadCodec as EncryptionCodec | undefined)?.forgetUsers?.(pseudonyms),
    }),
    dataConverter: beckonDataConverter(options.payloadCodec),
  });
  const running = worker.run().finally(() => connection.close());
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
  const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, (err) => console.error('postgres:', err.message));
  await migrate(pool);
  const beckon = await startWorker({ config, pool, pseudonymKey, payloadCodec: configuredPayloadCodec(config, pseudonymKey, pool), ...options });
  console.log(`worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${temporalAddress(config)}`);
  const stop = async () => {
    await beckon.shutdown();
    await pool.end();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await beckon.running;
  await pool.end().catch(() => {});
}

if (require.main === module) runMain(() => runWorkerProcess());
