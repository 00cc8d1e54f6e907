import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { startSmtpSink, type SmtpSink } from '../../src/dev/smtp-sink';
import { ensureTemporalCli } from '../../src/temporal/tools/temporal-cli';
import { ensureTemporalServer, ensureTemporalUiServer } from '../../src/temporal/tools/temporal-server';
import { ensureDatabase, provideClusterPostgres, type ClusterPostgres } from './cluster-postgres';
import { spawnLogged, type LoggedProcess } from './logged-process';
import { ensureNamespace, freeServerPorts, setupTemporalSchema, startTemporalServer, type TemporalServer } from './temporal-server-process';
import { startWebUi } from './web-ui-process';

const repoRoot = resolve(__dirname, '..', '..');
const tsxCli = require.resolve('tsx/cli');

export interface ClusterOptions {
  /** Beckon's database; Temporal's two go on the same server. Unset: a PostgreSQL of the cluster's own under `dir`. */
  databaseUrl?: string;
  /** State of the run: the own PostgreSQL's data, the server and UI configs. */
  dir: string;
  temporalDatabase: string;
  temporalVisibilityDatabase: string;
  namespace: string;
  historyShards: number;
  workers: number;
  /** The /metrics port of each worker (the Temporal SDK's own figures on the next port); one per worker. */
  workerMetricsPorts: number[];
  /** The Temporal SDK's exporter port of each worker; unset: its /metrics port + 1. */
  workerSdkMetricsPorts?: number[];
  /** One API replica per port. */
  apiPorts: number[];
  temporalPort: number;
  /** Undefined: no Web UI. */
  webUiPort?: number;
  smtpPort: number;
  /** For the cluster's own PostgreSQL when no DATABASE_URL is given. */
  postgresPort: number;
  pseudonymKey: string;
  /** Beside the cluster's own variables, for every worker and API replica (channel settings, log level). */
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface BeckonProcess {
  name: string;
  /** The process running now (a restart replaces it). */
  process(): LoggedProcess;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again after it was killed or stopped, and waits for its ready line. */
  start(): Promise<void>;
}

export interface Cluster {
  postgres: ClusterPostgres;
  /** A pool on Beckon's database for the one who started the cluster (tests read deliveries with it). */
  pool: Pool;
  temporal: TemporalServer;
  namespace: string;
  apiUrls: string[];
  workerMetricsUrls: string[];
  apis: BeckonProcess[];
  workers: BeckonProcess[];
  webUiUrl?: string;
  smtp: SmtpSink;
  /** The variables every worker and API replica got (docker-compose.yml sets the same ones). */
  beckonEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * The production topology as real processes on one machine: PostgreSQL, `temporal-server` with several
 * history shards on it, the Web UI, N workers and N API replicas (`npm run worker`, `npm run api`), an SMTP sink.
 * Everything started is stopped by `stop()`, also when a later step fails.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { log } = options;
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => log(`stopping: ${err.message}`));
    stops.length = 0;
  };
  try {
    const toolLog = { log: (line: string) => log(`[tools] ${line}`) };
    const tools = await ensureTemporalServer(toolLog);
    const cliPath = await ensureTemporalCli(toolLog);
    mkdirSync(options.dir, { recursive: true });

    const postgres = await provideClusterPostgres({ databaseUrl: options.databaseUrl, dataDir: join(options.dir, 'postgres'), port: options.postgresPort, log });
    stops.push(() => postgres.stop());
    for (const database of [options.temporalDatabase, options.temporalVisibilityDatabase]) await ensureDatabase(postgres, database);
    const db = { ...postgres, database: options.temporalDatabase, visibilityDatabase: options.temporalVisibilityDatabase };
    await setupTemporalSchema(tools, db, log);

    const temporal = await startTemporalServer({
      tools,
      db,
      historyShards: options.historyShards,
      dir: join(options.dir, 'temporal'),
      ports: await freeServerPorts(options.temporalPort),
      log,
    });
    stops.push(() => temporal.stop());
    log(`temporal-server on ${temporal.address}: ${options.historyShards} history shards, stores ${db.database} and ${db.visibilityDatabase}`);
    await ensureNamespace({ cliPath, address: temporal.address, namespace: options.namespace, retentionDays: 3, log });

    // Once here rather than racing in four processes (each would take the migration lock in turn anyway).
    const pool = createPool(postgres.beckonUrl, 4, (err) => log(`postgres: ${err.message}`));
    stops.push(() => pool.end());
    await migrate(pool);
    const smtp = await startSmtpSink({ pool, host: '127.0.0.1', port: options.smtpPort });
    stops.push(() => smtp.stop());

    const apiUrls = options.apiPorts.map((port) => `http://127.0.0.1:${port}`);
    let webUiUrl: string | undefined;
    if (options.webUiPort !== undefined) {
      webUiUrl = `http://127.0.0.1:${options.webUiPort}`;
      const ui = await ensureTemporalUiServer(toolLog)
        .then((uiServerPath) =>
          startWebUi({
            uiServerPath,
            dir: join(options.dir, 'web-ui'),
            port: options.webUiPort!,
            temporalAddress: temporal.address,
            namespace: options.namespace,
            codecEndpoint: `${apiUrls[0]}/codec`,
            log,
          }),
        )
        .catch((err: Error) => {
          log(`Web UI not started: ${err.message}`);
          return undefined;
        });
      if (ui) stops.push(() => ui.process.stop());
      else webUiUrl = undefined;
    }

    const beckonEnv: NodeJS.ProcessEnv = {
      DATABASE_URL: postgres.beckonUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: options.namespace,
      PSEUDONYM_KEY: options.pseudonymKey,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      ...(webUiUrl && { CODEC_UI_ORIGIN: webUiUrl }),
      ...options.env,
    };
    const workers = Array.from({ length: options.workers }, (_, i) =>
      beckonProcess(`worker-${i + 1}`, 'src/worker.ts', {
        ...beckonEnv,
        METRICS_PORT: String(options.workerMetricsPorts[i]),
        ...(options.workerSdkMetricsPorts && { TEMPORAL_SDK_METRICS_PORT: String(options.workerSdkMetricsPorts[i]) }),
      }, /worker polling task queue/, log),
    );
    const apis = options.apiPorts.map((port, i) =>
      beckonProcess(`api-${i + 1}`, 'src/api.ts', { ...beckonEnv, HOST: '127.0.0.1', PORT: String(port) }, /API listening on/, log),
    );
    for (const child of [...workers, ...apis]) stops.push(() => child.kill('SIGTERM'));
    // One at a time: each worker bundles the workflow code at start, which takes most of a core for a while.
    for (const child of [...workers, ...apis]) await child.start();

    const workerMetricsUrls = options.workerMetricsPorts.map((port) => `http://127.0.0.1:${port}/metrics`);
    return { postgres, pool, temporal, namespace: options.namespace, apiUrls, workerMetricsUrls, apis, workers, webUiUrl, smtp, beckonEnv, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `npm run worker` or `npm run api` (tsx on the entry point, as those scripts run it) under a name. */
function beckonProcess(name: string, script: string, env: NodeJS.ProcessEnv, readyLine: RegExp, log: (line: string) => void): BeckonProcess {
  let current: LoggedProcess | undefined;
  return {
    name,
    process() {
      if (!current) throw new Error(`${name} was never started`);
      return current;
    },
    async kill(signal) {
      await current?.stop(signal, 20_000);
    },
    async start() {
      current = spawnLogged(process.execPath, [tsxCli, script], { name, cwd: repoRoot, env: childEnv(env), log });
      await current.waitFor(readyLine, 300_000);
    },
  };
}

/** This process's environment minus what would point a child elsewhere, plus the cluster's variables. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inherited = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'PORT', 'HOST', 'DATA_DIR', 'PSEUDONYM_KEY', 'NODE_OPTIONS', 'CODEC_UI_ORIGIN']) {
    delete inherited[name];
  }
  return { ...inherited, ...env };
}
