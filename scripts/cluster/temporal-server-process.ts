import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connectClient } from '../../src/temporal/client-connection';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import type { TemporalServerTools } from '../../src/temporal/tools/temporal-server';
import { freePort } from '../../test/support/ports';
import { spawnLogged, type LoggedProcess } from './logged-process';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '..', '..');

/** Where Temporal keeps its two stores: one PostgreSQL server, two databases. */
export interface TemporalDatabase {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  visibilityDatabase: string;
}

export interface TemporalServerPorts {
  /** gRPC of the frontend: the address workers and clients use. */
  frontend: number;
  /** The frontend's HTTP API (the Web UI does not need it, but it must not collide). */
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** One membership (ringpop) port per service; below 32768, the store keeps them as smallint (freeMembershipPorts). */
  membership: [number, number, number, number];
  /** The server's own Prometheus metrics. */
  metrics: number;
}

/** Ports that were free a moment ago between 20000 and 32767: cluster_membership.rpc_port is a smallint. */
export async function freeMembershipPorts(count: number): Promise<[number, number, number, number]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.includes(candidate) && (await isFree(candidate))) ports.push(candidate);
  }
  return ports as [number, number, number, number];
}

/** Every port a temporal-server needs beside its frontend's, free a moment ago. */
export async function freeServerPorts(frontend: number): Promise<TemporalServerPorts> {
  const [frontendHttp, history, matching, worker, metrics] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  return { frontend, frontendHttp: frontendHttp!, history: history!, matching: matching!, worker: worker!, membership: await freeMembershipPorts(4), metrics: metrics! };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

export interface TemporalServerOptions {
  tools: TemporalServerTools;
  db: TemporalDatabase;
  ports: TemporalServerPorts;
  /** Production clusters run 512+; a handful on one machine is enough to prove nothing assumes one. */
  historyShards: number;
  /** Folder for the config the server reads (written here, owned by the project). */
  dir: string;
  log: (line: string) => void;
}

/**
 * Creates both databases if missing and brings their schemas to the version the server needs:
 * `setup-schema -v 0.0` once (the tool's bookkeeping tables), then `update-schema` over the module's
 * versioned folder, which applies only the versions not yet there, so a second run changes nothing.
 */
export async function setupTemporalSchema(tools: TemporalServerTools, db: TemporalDatabase, log: (line: string) => void): Promise<void> {
  const stores = [
    { database: db.database, versioned: join(tools.postgresSchemaDir, 'temporal', 'versioned') },
    { database: db.visibilityDatabase, versioned: join(tools.postgresSchemaDir, 'visibility', 'versioned') },
  ];
  for (const store of stores) {
    const base = ['--plugin', 'postgres12', '--ep', db.host, '--port', String(db.port), '--user', db.user, ...(db.password ? ['--password', db.password] : [])];
    const tool = (args: string[]) => run(tools.sqlToolPath, [...base, '--db', store.database, ...args], { maxBuffer: 16 << 20 });
    await tool(['create-database']).catch((err: { stderr?: string }) => {
      if (!/already exists/.test(err.stderr ?? '')) throw err;
    });
    const versioned = await tool(['update-schema', '-d', store.versioned]).then(() => true, () => false);
    if (!versioned) {
      // A database without the tool's schema_version table: set it up at 0.0, then walk the versions.
      await tool(['setup-schema', '-v', '0.0']);
      await tool(['update-schema', '-d', store.versioned]);
    }
    log(`temporal schema: ${store.database} up to date (${store.versioned})`);
  }
}

/** The server config, derived from the module's config/development-postgres12.yaml: loopback ports, N shards. */
export function temporalServerConfig(options: Pick<TemporalServerOptions, 'db' | 'ports' | 'historyShards'>): string {
  const { db, ports } = options;
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "${db.host}:${db.port}"
        connectProtocol: "tcp"
        user: "${db.user}"
        password: "${db.password ?? ''}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpcPort: number, membershipPort: number, extra = '') => `
    rpc:
      grpcPort: ${grpcPort}
      membershipPort: ${membershipPort}
      bindOnLocalHost: true${extra}`;
  return `# Written by scripts/cluster (temporal-server-process.ts) from the module's config/development-postgres12.yaml.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${options.historyShards}
  datastores:
    postgres-default:${store(db.database, 20)}
    postgres-visibility:${store(db.visibilityDatabase, 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"

services:
  frontend:${service(ports.frontend, ports.membership[0], `\n      httpPort: ${ports.frontendHttp}`)}
  history:${service(ports.history, ports.membership[1])}
  matching:${service(ports.matching, ports.membership[2])}
  worker:${service(ports.worker, ports.membership[3])}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "${join(repoRoot, 'deploy', 'temporal-dynamic-config.yaml')}"
  pollInterval: "10s"
`;
}

export interface TemporalServer {
  address: string;
  metricsUrl: string;
  process(): LoggedProcess;
  /** Stops it: SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and stores, and waits until it serves. */
  start(): Promise<void>;
  /** Stops it, waits `downMs`, starts it again. */
  restart(downMs?: number): Promise<void>;
}

const CONFIG_ENV = 'beckon';

/** Starts `temporal-server -r DIR -c config -e beckon start` and waits until its frontend answers. */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const configDir = join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, `${CONFIG_ENV}.yaml`), temporalServerConfig(options));
  const address = `127.0.0.1:${options.ports.frontend}`;
  const launch = () =>
    spawnLogged(options.tools.serverPath, ['-r', options.dir, '-c', 'config', '-e', CONFIG_ENV, 'start'], { cwd: options.dir, name: 'temporal', log: options.log });
  let current = launch();
  const server: TemporalServer = {
    address,
    metricsUrl: `http://127.0.0.1:${options.ports.metrics}/metrics`,
    process: () => current,
    stop: () => current.stop('SIGTERM', 20_000).then(() => undefined),
    async start() {
      current = launch();
      await waitForFrontend(address, current);
    },
    async restart(downMs = 0) {
      await server.stop();
      await new Promise((done) => setTimeout(done, downMs));
      await server.start();
    },
  };
  await waitForFrontend(address, current);
  return server;
}

async function waitForFrontend(address: string, server: LoggedProcess): Promise<void> {
  const client = await Promise.race([
    connectClient({ address, namespace: 'temporal-system', waitMs: 180_000 }),
    server.exited.then((code) => {
      throw new Error(`temporal-server exited (code ${code}) before serving; its last lines:\n${server.tail()}`);
    }),
  ]);
  try {
    // The frontend accepts connections before history owns its shards; a system-namespace call proves both.
    for (let attempt = 0; ; attempt += 1) {
      const ok = await client.workflowService.describeNamespace({ namespace: 'temporal-system' }).then(() => true, () => false);
      if (ok) return;
      if (attempt > 180) throw new Error(`temporal-server on ${address} did not serve within 3 minutes:\n${server.tail()}`);
      await new Promise((done) => setTimeout(done, 1_000));
    }
  } finally {
    await client.connection.close();
  }
}

/**
 * The namespace with the Temporal CLI (`operator namespace create`, as an operator would), then Beckon's
 * search attributes through the SDK (src/temporal/search-attribute-registration.ts, as `npm run api` does).
 */
export async function ensureNamespace(options: { cliPath: string; address: string; namespace: string; retentionDays: number; log: (line: string) => void }): Promise<void> {
  const { cliPath, address, namespace } = options;
  const exists = await run(cliPath, ['operator', 'namespace', 'describe', '--address', address, '--namespace', namespace]).then(() => true, () => false);
  if (!exists) {
    await run(cliPath, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace, '--retention', `${options.retentionDays * 24}h`]);
    options.log(`namespace ${namespace} created (retention ${options.retentionDays} days)`);
  }
  const client = await connectClient({ address, namespace, waitMs: 60_000 });
  try {
    // A new namespace reaches every frontend's cache within seconds; until then the call says it does not exist.
    for (let attempt = 0; ; attempt += 1) {
      const added = await ensureSearchAttributes(client, namespace).catch((err: Error) => {
        if (attempt >= 60) throw err;
        return undefined;
      });
      if (added) {
        if (added.length > 0) options.log(`search attributes registered: ${added.join(', ')}`);
        return;
      }
      await new Promise((done) => setTimeout(done, 1_000));
    }
  } finally {
    await client.connection.close();
  }
}
