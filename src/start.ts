import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Pool } from 'pg';
import { ensureTemporalCli } from './temporal/tools/temporal-cli';
import { startApi } from './api';
import { devAdminToken } from './api/auth/dev-admin-token';
import { describePublish, publishCampaignFolder } from './ops/campaign-publish';
import { loadConfig, type Config } from './config';
import { startEmbeddedPostgres } from './db/embedded';
import { createDevPushSender } from './dev/push-log';
import { startSmtpSink } from './dev/smtp-sink';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createSourceRepository, sourceIdOf } from './db/source-repository';
import { runMain } from './process';
import { configuredPayloadCodec } from './temporal/payload-codec';
import { connectClient } from './temporal/client-connection';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/search-attribute-registration';
import { startWorker } from './worker';

const say = (message: string) => console.log(`[beckon] ${message}`);

/** The dev key is made once and kept under DATA_DIR, so pseudonyms (and workflow IDs) stay the same across restarts. */
function devPseudonymKey(dataDir: string): string {
  const file = join(dataDir, 'pseudonym.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/**
 * The dev source's write key, kept under DATA_DIR (Postgres keeps only its hash) so it can be
 * printed at every start; made again if the database no longer knows it.
 */
async function devWriteKey(pool: Pool, dataDir: string): Promise<string> {
  const sources = createSourceRepository(pool);
  const file = join(dataDir, 'dev-write-key');
  const known = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (known && (await sources.authenticate(known))) return known;
  const reuse = known && !(await sources.list()).some((source) => source.id === sourceIdOf(known));
  const { writeKey } = await sources.create('dev', reuse ? known : undefined);
  writeFileSync(file, writeKey, { mode: 0o600 });
  return writeKey;
}

async function startTemporal(config: Config, dataDir: string): Promise<{ address: string; uiUrl?: string; server?: DevServer }> {
  if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS };
  const cliPath = await ensureTemporalCli({ log: say });
  const server = startDevServer({
    cliPath,
    port: config.TEMPORAL_DEV_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: join(dataDir, 'temporal.sqlite'),
    namespace: config.TEMPORAL_NAMESPACE,
    codecEndpoint: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}/codec`,
    // The dev server's own warnings (retries while it starts and stops) would drown Beckon's output.
    log: (line) => {
      if (!/level=(WARN|INFO|DEBUG)/.test(line)) console.log(`[temporal] ${line}`);
    },
  });
  say(`Temporal dev server starting on ${server.address} (pid ${server.process.pid})`);
  return { address: server.address, uiUrl: server.uiUrl, server };
}

/** `npm start`: Temporal, Postgres, the worker and the API in one command; Ctrl-C stops all of it. */
async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  // The SDK's info lines (the workflow bundle's webpack report) would bury the URLs a newcomer needs.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  let stoppingSince = 0;
  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})...`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: Error) => say(`while stopping: ${err.message}`));
    say('stopped');
  };
  const stopped = new Promise<void>((resolveStopped) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        // Ctrl-C reaches us twice at once (from the terminal and relayed by npm/tsx); only a later one forces exit.
        if (stopping) {
          if (Date.now() - stoppingSince < 3000) return;
          say('second Ctrl-C: exiting without a clean stop');
          process.exit(130);
        }
        stoppingSince = Date.now();
        void stopAll(signal).then(resolveStopped);
      });
    }
  });

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pglite'), port: config.EMBEDDED_PG_PORT });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
      say(`embedded Postgres (PGlite) on ${databaseUrl}`);
    }
    const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, (err) => say(`postgres: ${err.message}`));
    cleanups.push(() => pool.end());
    const report = await migrate(pool);
    say(`migrations: ${report.applied.length} applied, ${report.alreadyApplied} already in place`);
    say(`campaigns from ${config.CAMPAIGNS_DIR}/: ${describePublish(await publishCampaignFolder(pool, config.CAMPAIGNS_DIR))}`);

    const pseudonymKey = config.PSEUDONYM_KEY ?? devPseudonymKey(dataDir);
    const temporal = await startTemporal(config, dataDir);
    if (temporal.server) {
      const server = temporal.server;
      cleanups.push(() => server.stop());
      server.process.once('exit', (code) => {
        if (stopping) return;
        say(`Temporal dev server exited (code ${code}); is port ${config.TEMPORAL_DEV_PORT} taken? Set TEMPORAL_ADDRESS to use a running server.`);
        void stopAll('Temporal dev server exited').then(() => process.exit(1));
      });
    }
    const payloadCodec = configuredPayloadCodec(config, pseudonymKey, pool);
    const client = await connectClient({ address: temporal.address, namespace: config.TEMPORAL_NAMESPACE, waitMs: 60_000, payloadCodec });
    cleanups.push(() => client.connection.close());
    const registered = await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
    if (registered.length > 0) say(`registered search attributes: ${registered.join(', ')}`);

    // The dev Web UI decrypts payloads through the API's codec endpoint.
    let effective: Config = { ...config, TEMPORAL_ADDRESS: temporal.address, CODEC_UI_ORIGIN: config.CODEC_UI_ORIGIN ?? temporal.uiUrl };
    // Without an SMTP server or a Firebase account, email and push go to local sinks the API lists.
    if (!config.SMTP_HOST) {
      const sink = await startSmtpSink({ pool, log: (line) => say(`[dev mail] ${line}`) });
      cleanups.push(() => sink.stop());
      effective = { ...effective, SMTP_HOST: '127.0.0.1', SMTP_PORT: sink.port, SMTP_SECURE: false, SMTP_REQUIRE_TLS: false, SMTP_USER: undefined };
    }
    const devPush = config.FIREBASE_SERVICE_ACCOUNT ? undefined : createDevPushSender({ pool, log: (line) => say(`[dev push] ${line}`) });
    const devSinks = !config.SMTP_HOST || devPush !== undefined;
    const worker = await startWorker({ config: effective, pool, pseudonymKey, payloadCodec, ...(devPush && { extraSenders: { push: devPush } }) });
    cleanups.push(() => worker.shutdown());
    const api = await startApi({
      config: effective,
      pool,
      temporal: client,
      pseudonymKey,
      payloadCodec,
      devSinks,
    });
    cleanups.push(() => api.app.close());

    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    say(`API            ${api.url}   (health: ${api.url}/healthz)`);
    if (temporal.uiUrl) {
      say(`Temporal Web UI ${temporal.uiUrl}`);
      say(`  to read payloads there: log in at ${api.url}/codec/login with the admin token below, then tick "Include cross-origin credentials" in the UI's codec settings`);
    }
    say(`admin token    ${await devAdminToken(pool, dataDir)}   (for /v1/ops and the CLI: export BECKON_TOKEN=...)`);
    say(`Temporal       ${temporal.address}, namespace "${config.TEMPORAL_NAMESPACE}", task queue "${config.TEMPORAL_TASK_QUEUE}"`);
    const writeKey = await devWriteKey(pool, dataDir);
    say(`dev source write key: ${writeKey}`);
    say(`try: curl -s -u '${writeKey}:' -X POST ${api.url}/v1/track -H 'content-type: application/json' -d '{"userId":"ada","event":"Signed Up"}'`);
    say(`then: curl -s -u '${writeKey}:' ${api.url}/v1/users/ada/inbox`);
    if (!config.SMTP_HOST) say(`email goes to a local SMTP sink (127.0.0.1:${effective.SMTP_PORT}): curl -s ${api.url}/v1/dev/mail`);
    if (devPush) say(`push is logged here, not sent: curl -s ${api.url}/v1/dev/push`);
    say('Ctrl-C stops everything');
  } catch (err) {
    await stopAll('start-up failed');
    throw err;
  }
  await stopped;
}

if (require.main === module) runMain(main);
