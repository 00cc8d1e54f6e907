import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { publishCampaignFolder } from '../../src/ops/campaign-publish';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createSourceRepository } from '../../src/db/source-repository';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { connectClient, FAILURE_CONVERTER_PATH } from '../../src/temporal/client-connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { ensureTemporalServer } from '../../src/temporal/tools/temporal-server';
import { ensureDatabase } from '../cluster/cluster-postgres';
import { ensureNamespace, freeServerPorts, setupTemporalSchema, startTemporalServer } from '../cluster/temporal-server-process';
import { basicAuth } from '../../test/support/api';
import { daytimeZone } from '../../test/support/daytime';
import { startGooglePeer } from '../../test/support/google-peer';
import { request } from '../../test/support/http';
import { freePort } from '../../test/support/ports';
import { startSmtpPeer } from '../../test/support/smtp-peer';
import { chaosCampaignYaml, ENTRY_EVENT, PING_EVENT, REPLY_EVENT } from './campaign';
import { startOwnPostgres, type OwnPostgres } from './postgres';
import { supervise, type Supervised } from './supervisor';
import { startTcpGate } from './tcp-gate';
import { verifyChaos, type ChaosCounts, type ChaosUser } from './verify';

const repoRoot = resolve(__dirname, '..', '..');

export interface ChaosOptions {
  users: number;
  /** Events per user beside identify, the entry and (for half of them) the reply. */
  pingsPerUser: number;
  /** Users enter one after another over this span, so journeys are at every step when faults hit. */
  enterOverMs: number;
  /** The campaign's wait between in-app and push, and how long it waits for the reply. */
  pauseSeconds: number;
  replySeconds: number;
  /** Faults are injected from the first entry until this much later. */
  faultWindowMs: number;
  /** The worker is SIGKILLed at a random moment this long (min, max) after the previous one was ready. */
  killEveryMs: [number, number];
  temporalRestarts: number;
  postgresRestarts: number;
  /** How long the SMTP peer refuses connections, once. */
  smtpRefusalMs: number;
  /** API processes; each event's two copies go to two of them at the same moment. */
  apis: number;
  /** After the faults end, journeys must all have finished within this. */
  settleMs: number;
  temporalCliPath: string;
  /**
   * `cluster`: temporal-server with 4 history shards, its stores on the run's own PostgreSQL (so the Postgres
   * restarts hit Temporal too), and a second worker beside the one that is killed, as `npm run cluster` runs them.
   */
  topology?: 'dev-server' | 'cluster';
  /** A workflow bundle already built (jest's global setup has one); else the run bundles the workflows. */
  workflowBundlePath?: string;
  log: (line: string) => void;
}

export interface ChaosReport {
  id: string;
  startedAt: string;
  durationMs: number;
  options: Omit<ChaosOptions, 'log' | 'temporalCliPath' | 'workflowBundlePath'>;
  faults: {
    workerKills: number;
    workerStarts: number;
    workerCrashes: number;
    temporalRestarts: number;
    /** Restarts after which the dev server answered nothing for a minute and was restarted once more. */
    temporalWedged: number;
    postgresRestarts: number;
    postgres: string;
    smtpRefusedMs: number;
    apiCrashes: number;
  };
  counts: ChaosCounts;
}

/** What the run stops and starts: the dev server, or temporal-server. */
interface ChaosTemporal {
  address: string;
  stop(): Promise<void>;
}

/**
 * temporal-server on the run's own PostgreSQL: schema once, then each start a new process on the same
 * ports and stores. Returns the start function.
 */
async function clusterTemporal(options: { postgres: OwnPostgres; port: number; dir: string; cliPath: string; log: (line: string) => void; say: (line: string) => void }): Promise<() => Promise<ChaosTemporal>> {
  if (options.postgres.kind !== 'postgresql') throw new Error('--cluster needs PostgreSQL binaries (CHAOS_PG_BIN): temporal-server does not run on PGlite');
  const tools = await ensureTemporalServer({ log: (line) => options.say(`[tools] ${line}`) });
  const url = new URL(options.postgres.url);
  const db = { host: url.hostname, port: Number(url.port), user: 'postgres', database: 'temporal', visibilityDatabase: 'temporal_visibility' };
  for (const database of [db.database, db.visibilityDatabase]) await ensureDatabase(db, database);
  await setupTemporalSchema(tools, db, options.say);
  const ports = await freeServerPorts(options.port);
  let first = true;
  return async () => {
    const server = await startTemporalServer({ tools, db, ports, historyShards: 4, dir: join(options.dir, 'temporal-server'), log: options.log });
    if (first) await ensureNamespace({ cliPath: options.cliPath, address: server.address, namespace: 'default', retentionDays: 1, log: options.say });
    first = false;
    return { address: server.address, stop: () => server.stop() };
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);

/** True once the namespace can be described (the server reads its store), false if it cannot within the time. */
async function temporalServes(client: Client, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const ok = await client.workflowService.describeNamespace({ namespace: 'default' }).then(() => true, () => false);
    if (ok) return true;
    await sleep(1_000);
  }
  return false;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const id = `chaos-${started.toString(36)}`;
  const { log } = options;
  const t = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
  const say = (line: string) => log(`[${t()}] ${line}`);
  const dir = mkdtempSync(join(tmpdir(), 'beckon-chaos-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  const pseudonymKey = `chaos-pseudonym-key-${id}`.padEnd(48, 'k');
  const emailFrom = 'Beckon Chaos <chaos@beckon.test>';
  const faults = { workerKills: 0, workerStarts: 0, workerCrashes: 0, temporalRestarts: 0, temporalWedged: 0, postgresRestarts: 0, postgres: '', smtpRefusedMs: 0, apiCrashes: 0 };

  try {
    // Servers the run owns, so it can break them.
    const postgres = await startOwnPostgres(await freePort(), say);
    cleanups.push(() => postgres.stop());
    faults.postgres = postgres.kind;
    const campaigns = join(dir, 'campaigns');
    mkdirSync(campaigns);
    writeFileSync(join(campaigns, `${id}.yaml`), chaosCampaignYaml(id, options));
    copyFileSync(join(repoRoot, 'campaigns', 'policy.yaml'), join(campaigns, 'policy.yaml'));
    const pool = createPool(postgres.url, 4, () => undefined);
    cleanups.push(() => pool.end());
    await migrate(pool);
    await publishCampaignFolder(pool, campaigns);
    const { writeKey } = await createSourceRepository(pool, createSigningKeyVault(deriveVaultKey(pseudonymKey))).create(id);

    const temporalPort = await freePort();
    const temporalLines: string[] = [];
    const keepLine = (line: string) => temporalLines.push(line) > 50 && temporalLines.shift();
    const startTemporal: () => Promise<ChaosTemporal> =
      options.topology === 'cluster'
        ? await clusterTemporal({ postgres, port: temporalPort, dir, cliPath: options.temporalCliPath, log: keepLine, say })
        : async () => startDevServer({ cliPath: options.temporalCliPath, port: temporalPort, namespace: 'default', dbFile: join(dir, 'temporal.sqlite'), log: keepLine });
    let temporal = await startTemporal();
    cleanups.push(() => temporal.stop());
    const client: Client = await connectClient({ address: temporal.address, namespace: 'default', waitMs: 120_000, payloadCodec: payloadCodecFor(pseudonymKey, { pool }) }).catch((err: Error) => {
      throw new Error(`${err.message}; the dev server said:\n${temporalLines.join('\n')}`);
    });
    cleanups.push(() => client.connection.close());
    say(`${options.topology === 'cluster' ? 'temporal-server (4 history shards, PostgreSQL)' : 'dev Temporal server (SQLite file)'} on ${temporal.address}, campaign ${id}`);

    const smtp = await startSmtpPeer();
    cleanups.push(() => smtp.close());
    const smtpGate = await startTcpGate(smtp.port);
    cleanups.push(() => smtpGate.close());
    const google = await startGooglePeer();
    cleanups.push(() => google.close());

    let bundlePath = options.workflowBundlePath;
    if (!bundlePath) {
      say('bundling the workflows once for every worker start');
      const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (m: string) => say(m) } });
      bundlePath = join(dir, 'workflows.js');
      writeFileSync(bundlePath, bundle.code);
    }

    const common = {
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: id,
      PSEUDONYM_KEY: pseudonymKey,
      LOG_LEVEL: 'error',
      DATABASE_POOL_MAX: '6',
    };
    const workerEnv = {
      ...common,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpGate.port),
      EMAIL_FROM: emailFrom,
      FIREBASE_SERVICE_ACCOUNT: google.serviceAccountPath,
      CHAOS_WORKFLOW_BUNDLE: bundlePath,
      CHAOS_GOOGLE_PORT: String(google.port),
      CHAOS_GOOGLE_CA: google.caPath,
    };
    const worker = supervise('scripts/chaos/worker.ts', workerEnv, /worker polling task queue/, say);
    cleanups.push(() => worker.stop());
    // The cluster's second worker is never killed: it takes over what the killed one held.
    const steadyWorkers = options.topology === 'cluster' ? [supervise('scripts/chaos/worker.ts', workerEnv, /worker polling task queue/, say)] : [];
    for (const steady of steadyWorkers) cleanups.push(() => steady.stop());
    const apiUrls: string[] = [];
    const apis: Supervised[] = [];
    for (let i = 0; i < options.apis; i += 1) {
      const port = await freePort();
      apis.push(supervise('src/api.ts', { ...common, PORT: String(port), CAMPAIGNS_DIR: campaigns, INGEST_RATE_LIMIT: '100000' }, /API listening on/, say));
      cleanups.push(() => apis[i]!.stop());
      apiUrls.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all([worker.ready(), ...steadyWorkers.map((steady) => steady.ready()), ...apis.map((api) => api.ready())]);
    say(`worker and ${options.apis} API process(es) up; ${options.users} users enter over ${options.enterOverMs / 1000}s`);

    // Every event goes out twice, each copy retried until it gets a 200: for half the users both copies at the same
    // moment to two API processes, for the others the second once the first was answered (a client's retry).
    const answers = new Map<string, boolean[]>();
    const acceptedAt = new Map<string, number>();
    const sendTwice = async (together: boolean, type: 'identify' | 'track', payload: Record<string, unknown> & { messageId: string }) => {
      const copy = async (url: string) => {
        for (let attempt = 0; ; attempt += 1) {
          const response = await request(url, { method: 'POST', url: `/v1/${type}`, payload, headers: { authorization: basicAuth(writeKey) } }).catch(() => undefined);
          if (response?.statusCode === 200) {
            if (!acceptedAt.has(payload.messageId)) acceptedAt.set(payload.messageId, Date.now());
            answers.set(payload.messageId, [...(answers.get(payload.messageId) ?? []), (response.json() as { duplicate?: boolean }).duplicate === true]);
            return;
          }
          if (response && response.statusCode < 500 && response.statusCode !== 429) throw new Error(`${type} answered ${response.statusCode}: ${response.body}`);
          await sleep(Math.min(5_000, 500 * 2 ** Math.min(attempt, 3)));
        }
      };
      if (together) await Promise.all([copy(apiUrls[0]!), copy(apiUrls[1 % apiUrls.length]!)]);
      else for (const url of [apiUrls[0]!, apiUrls[1 % apiUrls.length]!]) await copy(url);
    };

    const pseudonymize = createPseudonymizer(pseudonymKey);
    const users: ChaosUser[] = Array.from({ length: options.users }, (_, i) => {
      const userId = `${id}-user-${i}`;
      const path = i % 2 === 0 ? 'replied' : 'silent';
      const calls = ['identify', 'entry', ...(path === 'replied' ? ['reply'] : []), ...Array.from({ length: options.pingsPerUser }, (_, p) => `ping-${p}`)];
      return {
        userId,
        pseudonym: pseudonymize(userId),
        path,
        copies: i % 4 < 2 ? 'together' : 'in turn',
        events: calls.length - 1,
        messageIds: calls.map((call) => `${userId}-${call}`),
      };
    });
    const timezone = daytimeZone();
    const drive = async (user: ChaosUser, i: number) => {
      await sleep((i / options.users) * options.enterOverMs);
      const m = (name: string) => `${user.userId}-${name}`;
      const together = user.copies === 'together';
      await sendTwice(together, 'identify', {
        messageId: m('identify'),
        userId: user.userId,
        traits: { email: `${user.userId}@chaos.test` },
        context: { timezone, device: { token: `token-${user.userId}`, type: 'android' } },
      });
      await sendTwice(together, 'track', { messageId: m('entry'), userId: user.userId, event: ENTRY_EVENT });
      if (user.path === 'replied') await sendTwice(together, 'track', { messageId: m('reply'), userId: user.userId, event: REPLY_EVENT });
      for (let p = 0; p < options.pingsPerUser; p += 1) await sendTwice(together, 'track', { messageId: m(`ping-${p}`), userId: user.userId, event: PING_EVENT, properties: { p } });
    };
    let driven = 0;
    const sending = Promise.all(users.map((user, i) => drive(user, i).then(() => void (driven += 1))));

    const journeysQuery = `WorkflowType = '${journeyWorkflow.name}' AND BeckonCampaign = '${id}'`;
    const finished = () => client.workflow.count(`${journeysQuery} AND ExecutionStatus != 'Running'`).then((c) => c.count, () => undefined);
    const progress = setInterval(() => {
      void finished().then((n) => say(`progress: users fully sent ${driven}/${options.users}, journeys finished ${n ?? '?'}/${options.users}, worker kills ${faults.workerKills}`));
    }, 5_000);
    cleanups.push(async () => clearInterval(progress));

    // Faults: the worker killed again and again, and one-shot outages spread over the window.
    const faultsEnd = Date.now() + options.faultWindowMs;
    // Killed at random moments: while it runs activities and workflow tasks, or while it is still starting.
    const killing = (async () => {
      while (Date.now() < faultsEnd) {
        await sleep(between(options.killEveryMs));
        if (Date.now() >= faultsEnd) break;
        const wasReady = worker.isReady();
        if (!(await worker.kill())) continue;
        faults.workerKills += 1;
        say(`fault: worker SIGKILLed ${wasReady ? 'while polling' : 'while starting'} (kill ${faults.workerKills})`);
      }
    })();
    const at = (fraction: number) => sleep(Math.max(0, faultsEnd - options.faultWindowMs + fraction * options.faultWindowMs - Date.now()));
    const spread = (count: number, from: number, to: number) => Array.from({ length: count }, (_, i) => from + ((to - from) * (i + 0.5)) / count);
    const temporalOutages = (async () => {
      for (const fraction of spread(options.temporalRestarts, 0.1, 0.7)) {
        await at(fraction);
        await temporal.stop();
        say('fault: Temporal stopped');
        await sleep(3_000);
        temporal = await startTemporal();
        faults.temporalRestarts += 1;
        say('fault: Temporal started again (same store)');
        // The dev server has come back unable to serve anything (every call "interrupted (9)"); an operator would restart it again.
        while (!(await temporalServes(client, 60_000))) {
          faults.temporalWedged += 1;
          say(`Temporal came back wedged; its last lines:\n${temporalLines.slice(-8).join('\n')}\nrestarting it again`);
          await temporal.stop();
          temporal = await startTemporal();
        }
      }
    })();
    const postgresOutages = (async () => {
      for (const fraction of spread(options.postgresRestarts, 0.3, 0.9)) {
        await at(fraction);
        say('fault: Postgres stopped (immediate)');
        await postgres.restart(3_000);
        faults.postgresRestarts += 1;
        say('fault: Postgres started again');
      }
    })();
    const smtpOutage = (async () => {
      if (options.smtpRefusalMs <= 0) return;
      await at(0.25);
      await smtpGate.shut();
      say(`fault: SMTP peer refuses connections for ${options.smtpRefusalMs / 1000}s`);
      const shutAt = Date.now();
      await sleep(options.smtpRefusalMs);
      await smtpGate.open();
      faults.smtpRefusedMs = Date.now() - shutAt;
      say('fault: SMTP peer accepts connections again');
    })();
    await Promise.all([killing, temporalOutages, postgresOutages, smtpOutage]);
    say('faults over; waiting for every event to be taken and every journey to finish');
    await sending;

    const settleBy = Date.now() + options.settleMs;
    for (;;) {
      const n = await finished();
      if (n !== undefined && n >= options.users) break;
      if (Date.now() > settleBy) {
        say(`journeys not all finished within ${options.settleMs / 1000}s of the faults ending (${n ?? '?'}/${options.users}); counting what there is`);
        break;
      }
      await sleep(1_000);
    }
    say('counting');
    const counts = await verifyChaos({ client, pool, campaignId: id, users, mail: smtp.received, google: google.requests, emailFrom, answers: (messageId) => answers.get(messageId) ?? [], acceptedAt: (messageId) => acceptedAt.get(messageId) });
    faults.workerStarts = worker.starts;
    faults.workerCrashes = worker.crashes.length + steadyWorkers.reduce((n, steady) => n + steady.crashes.length, 0);
    faults.apiCrashes = apis.reduce((n, api) => n + api.crashes.length, 0);
    const shown: ChaosReport['options'] = { ...options };
    for (const hidden of ['log', 'temporalCliPath', 'workflowBundlePath']) delete (shown as Record<string, unknown>)[hidden];
    shown.topology = options.topology ?? 'dev-server';
    return { id, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, options: shown, faults, counts };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: Error) => say(`cleanup: ${err.message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
