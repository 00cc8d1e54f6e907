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
import { pgliteLeftoverNotice, startEmbeddedPostgres } from './db/embedded-postgres';
import { createDevPushSender } from './dev/push-log';
import { startSmtpSink } from './dev/smtp-sink';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createSourceRepository, sourceIdOf } from './db/source-repository';
import { createSigningKeyVault, deriveVaultKey } from './privacy/signing-key-vault';
import { mintUserToken, signingKeyMatches } from './privacy/user-token';
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
 * The dev source's write key and signing key, kept under DATA_DIR (Postgres keeps only a hash and a
 * sealed copy) so they can be printed at every start; made again if the database no longer knows
 * them. The dev source requires user tokens, like every new source.
 */
async function devSource(pool: Pool, dataDir: string, pseudonymKey: string): Promise<{ writeKey: string; signingKey: string }> {
  const sources = createSourceRepository(pool, createSigningKeyVault(deriveVaultKey(pseudonymKey)));
  const writeFile = join(dataDir, 'dev-write-key');
  const signingFile = join(dataDir, 'dev-signing-key');
  const keep = (file: string, key: string) => writeFileSync(file, key, { mode: 0o600 });
  const known = existsSync(writeFile) ? readFileSync(writeFile, 'utf8').trim() : undefined;
  const source = known ? await sources.authenticate(known) : undefined;
  if (!known || !source) {
    const reuse = known && !(await sources.list()).some((listed) => listed.id === sourceIdOf(known));
    const created = await sources.create('dev', { writeKey: reuse ? known : undefined });
    keep(writeFile, created.writeKey);
    keep(signingFile, created.signingKey);
    return created;
  }
  // A dev source made before user tokens existed is moved to them too.
  if (source.clientAuth !== 'required') await sources.setClientAuth(source.id, 'required');
  const kept = existsSync(signingFile) ? readFileSync(signingFile, 'utf8').trim() : undefined;
  const live = await sources.signingKeys(source.id);
  if (kept && signingKeyMatches(kept, live.map((key) => key.hash))) return { writeKey: known, signingKey: kept };
  const rotated = await sources.rotateSigningKey(source.id, 0);
  keep(signingFile, rotated!.signingKey);
  return { writeKey: known, signingKey: rotated!.signingKey };
}

async function startTemporal(config: Config, dataDir: string): Promise<{ address: string; uiUrl?: string; server?: DevServer }> {
  if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS };
  const cliPath = await ensureTemporalCli({ log: say });
  const server = startDevServer({
    cliPath,
    port: config.TEMPORAL_DEV_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: join(dataDir, 'temporal.sqlite'),
    ownProcessGroup: true,
    // npm start runs one worker.
    singleWorker: true,
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
  // The SDK's info lines (the workflow bundle's webpack report) would bury the URLs a newcomer needs. No shutdown
  // signals: on its own the SDK would shut the worker down at Ctrl-C, before the API stopped sending it work.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const dataDir = resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  const cleanups: (() => Promise<void>)[] = [];
  /** What a forced exit kills at once: the servers Beckon started, which lead process groups of their own. */
  const kills: (() => void)[] = [];
  let stopping = false;
  let stoppingSince = 0;
  const forceExit = (why: string, code: number) => {
    say(`${why}: exiting without a clean stop`);
    for (const kill of kills) kill();
    process.exit(code);
  };
  /** Newest first; one that start-up adds while the stop runs is taken too. */
  const runCleanups = async () => {
    for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) {
      await cleanup().catch((err: Error) => say(`while stopping: ${err.message}`));
    }
  };
  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})...`);
    // Within 10 s, whatever hangs (a stream a browser keeps open, a server that does not answer).
    const watchdog = setTimeout(() => forceExit('not stopped within 9 s', 1), 9_000);
    await runCleanups();
    clearTimeout(watchdog);
  };
  /** Start-up stops at the next step once a stop began (a Ctrl-C while the worker bundles). */
  const unlessStopping = () => {
    if (stopping) throw new StartInterrupted();
  };
  const stopped = new Promise<void>((resolveStopped) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        // A terminal's Ctrl-C reaches us twice at once (from the terminal and relayed by npm); only a later one forces.
        if (stopping) {
          if (Date.now() - stoppingSince >= 1000) forceExit(`second ${signal}`, 130);
          return;
        }
        stoppingSince = Date.now();
        void stopAll(signal).then(resolveStopped);
      });
    }
  });

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const leftover = pgliteLeftoverNotice(dataDir);
      if (leftover) say(leftover);
      const embedded = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        ownProcessGroup: true,
        log: (line) => say(`[postgres] ${line}`),
      });
      cleanups.push(() => embedded.stop());
      kills.push(() => embedded.kill());
      unlessStopping();
      databaseUrl = embedded.url;
      say(`embedded PostgreSQL on ${databaseUrl} (data in ${embedded.dataDir})`);
    }
    const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, (err) => say(`postgres: ${err.message}`));
    cleanups.push(() => pool.end());
    const report = await migrate(pool);
    unlessStopping();
    say(`migrations: ${report.applied.length} applied, ${report.alreadyApplied} already in place`);
    say(`campaigns from ${config.CAMPAIGNS_DIR}/: ${describePublish(await publishCampaignFolder(pool, config.CAMPAIGNS_DIR))}`);

    const pseudonymKey = config.PSEUDONYM_KEY ?? devPseudonymKey(dataDir);
    const temporal = await startTemporal(config, dataDir);
    unlessStopping();
    if (temporal.server) {
      const server = temporal.server;
      cleanups.push(() => server.stop());
      kills.push(() => server.process.kill('SIGKILL'));
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
    let effective: Config = {
      ...config,
      TEMPORAL_ADDRESS: temporal.address,
      CODEC_UI_ORIGIN: config.CODEC_UI_ORIGIN ?? temporal.uiUrl,
      TEMPORAL_UI_URL: config.TEMPORAL_UI_URL ?? temporal.uiUrl,
    };
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
    unlessStopping();
    const api = await startApi({
      config: effective,
      pool,
      temporal: client,
      pseudonymKey,
      payloadCodec,
      devSinks,
    });
    cleanups.push(() => api.app.close());
    unlessStopping();

    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    say(`API            ${api.url}   (health: ${api.url}/healthz)`);
    say(`console        ${api.url}/console   (log in with the admin token below)`);
    if (temporal.uiUrl) {
      say(`Temporal Web UI ${temporal.uiUrl}`);
      say(`  to read payloads there: log in at ${api.url}/codec/login with the admin token below, then tick "Include cross-origin credentials" in the UI's codec settings`);
    }
    say(`admin token    ${await devAdminToken(pool, dataDir)}   (for /v1/ops and the CLI: export BECKON_TOKEN=...)`);
    say(`Temporal       ${temporal.address}, namespace "${config.TEMPORAL_NAMESPACE}", task queue "${config.TEMPORAL_TASK_QUEUE}"`);
    const { writeKey, signingKey } = await devSource(pool, dataDir, pseudonymKey);
    say(`dev source write key: ${writeKey}   (events in: /v1/track, /v1/identify, ...)`);
    say(`dev source signing key: ${signingKey}   (your app's server only: it makes user tokens; kept in ${join(config.DATA_DIR, 'dev-signing-key')})`);
    say(`try: curl -s -u '${writeKey}:' -X POST ${api.url}/v1/track -H 'content-type: application/json' -d '{"userId":"ada","event":"Signed Up"}'`);
    const adaToken = mintUserToken(signingKey, 'ada', { expiresAt: Math.floor(Date.now() / 1000) + 86_400 });
    say(`then: curl -s -H 'authorization: Bearer ${adaToken}' ${api.url}/v1/users/ada/inbox`);
    say('      (a token for ada only, valid 24 h; BECKON_SIGNING_KEY=$(cat .data/dev-signing-key) npm run beckon -- users token <userId> makes others)');
    if (!config.SMTP_HOST) say(`email goes to a local SMTP sink (127.0.0.1:${effective.SMTP_PORT}): curl -s ${api.url}/v1/dev/mail`);
    if (devPush) say(`push is logged here, not sent: curl -s ${api.url}/v1/dev/push`);
    say('Ctrl-C stops everything');
  } catch (err) {
    // A step that failed because a stop closed what it used is part of that stop.
    if (!stopping) {
      await stopAll('start-up failed');
      throw err;
    }
  }
  await stopped;
  await runCleanups();
  say('stopped');
}

/** Thrown inside start-up when a signal asked to stop before it finished. */
class StartInterrupted extends Error {
  constructor() {
    super('stopped during start-up');
  }
}

if (require.main === module) runMain(main);
