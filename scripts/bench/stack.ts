import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { startApi, type RunningApi } from '../../src/api';
import { publishCampaignFolder } from '../../src/ops/campaign-publish';
import { loadConfig, type Config } from '../../src/config';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createSourceRepository } from '../../src/db/source-repository';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { configuredPayloadCodec } from '../../src/temporal/payload-codec';
import { connectClient } from '../../src/temporal/client-connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { startWorker, type BeckonWorker, type WorkerTuning } from '../../src/worker';
import { freePort } from '../../test/support/ports';
import { ensureTemporalCli } from '../../src/temporal/tools/temporal-cli';
import { meteredCodec, type CodecTally } from './codec-meter';
import type { NodePids } from './cpu';
import { installSdkMetrics } from './sdk-metrics';
import { startSplitProcesses } from './split-processes';
import type { Topology } from './topology';
import { tagged } from './statements';

export interface BenchStack {
  config: Config;
  /** The API's pool and the worker's, apart, so statements can be counted per side. */
  pool: Pool;
  workerPool: Pool;
  temporal: Client;
  /** The API: in this process (`single`), or its own process's address (`split`). */
  api: Pick<RunningApi, 'url'>;
  /** The worker, when it runs in this process (`single`). */
  worker: BeckonWorker | undefined;
  topology: Topology;
  /** This process, and the API's and the worker's processes when they run apart: the CPU columns count each. */
  nodePids: NodePids;
  /** What the API's and the worker's codecs did, when they run in this process (`single`). */
  codecTally?: { api: () => CodecTally; worker: () => CodecTally };
  writeKey: string;
  pseudonymKey: string;
  /** The SDK runtime's own Prometheus metrics of Beckon's worker: this process's, or the worker process's. */
  sdkMetricsUrl: string;
  /** The Temporal server's process: the dev server this stack started, else BENCH_TEMPORAL_PID (a cluster's temporal-server). */
  serverPid: number | undefined;
  /** The Postgres server's postmaster: the embedded one this stack started, else BENCH_POSTGRES_PID; unset counts every backend. */
  postgresPid: number | undefined;
  /** What the run stands on, for the report. */
  describe: { postgres: string; temporal: string; levers: string };
  stop(): Promise<void>;
}

export const say = (line: string) => console.error(`[bench] ${line}`);

/** VmRSS of a process from /proc, in bytes. */
export function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A process id the caller names, for a server this stack did not start (`npm run cluster`'s). */
function pidFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const pid = Number(value);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${name} must be a process id, not "${value}"`);
  return pid;
}

/**
 * The whole service in this process, as `npm start` runs it: the configured Postgres and Temporal
 * (DATABASE_URL, TEMPORAL_ADDRESS) or an embedded PostgreSQL and a dev server, a worker and the API.
 */
export interface BenchLevers {
  /** The dev server's task queue partitions as `npm start` sets them for its one worker (true), or the server's 4. */
  singleWorker: boolean;
  tuning?: WorkerTuning;
  /** Unset: single. */
  topology?: Topology;
}

/** The worker of a stack that runs it in this process; the scale bench reads its cache. */
export function inProcessWorker(stack: BenchStack): BeckonWorker {
  if (!stack.worker) throw new Error('this benchmark reads the worker\'s state in process: run it with --topology single');
  return stack.worker;
}

export async function startBenchStack(overrides: Partial<Config> = {}, levers: BenchLevers = { singleWorker: true }): Promise<BenchStack> {
  const base = loadConfig();
  // Before any native connection: the runtime's telemetry is fixed when it is first used.
  const sdkMetricsUrl = await installSdkMetrics();
  const stops: (() => Promise<unknown>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'beckon-bench-'));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    let databaseUrl = base.DATABASE_URL;
    let postgresPid = pidFromEnv('BENCH_POSTGRES_PID');
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ port: 0 });
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
      postgresPid = embedded.process.pid;
    }
    let address = base.TEMPORAL_ADDRESS;
    let serverPid = pidFromEnv('BENCH_TEMPORAL_PID');
    if (!address) {
      const cliPath = await ensureTemporalCli({ log: say });
      const server = startDevServer({ cliPath, port: await freePort(), namespace: base.TEMPORAL_NAMESPACE, singleWorker: levers.singleWorker });
      stops.push(() => server.stop());
      address = server.address;
      serverPid = server.process.pid;
    }
    const pseudonymKey = base.PSEUDONYM_KEY ?? 'bench-key-'.padEnd(48, 'b');
    const config: Config = { ...base, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, PORT: 0, LOG_LEVEL: 'warn', ...overrides };
    // Split, the API's and the worker's statements are their processes' own; this process's pools are the load generator's.
    const apart = (levers.topology ?? 'single') === 'split';
    const pool = createPool(tagged(databaseUrl, apart ? 'bench-load' : 'beckon-api'), config.DATABASE_POOL_MAX);
    stops.push(() => pool.end());
    const workerPool = createPool(tagged(databaseUrl, apart ? 'bench-load' : 'beckon-worker'), config.DATABASE_POOL_MAX);
    stops.push(() => workerPool.end());
    await migrate(pool);
    await publishCampaignFolder(pool, config.CAMPAIGNS_DIR);
    const payloadCodec = configuredPayloadCodec(config, pseudonymKey, pool);
    const topology = levers.topology ?? 'single';
    // In one process the API's side and the worker's share one codec, metered apart.
    const apiCodec = meteredCodec(payloadCodec);
    const workerCodec = meteredCodec(payloadCodec);
    const temporal = await connectClient({ address, namespace: config.TEMPORAL_NAMESPACE, waitMs: 60_000, payloadCodec: apiCodec.codec });
    stops.push(() => temporal.connection.close());
    await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
    let api: Pick<RunningApi, 'url'>;
    let worker: BeckonWorker | undefined;
    let nodePids: NodePids = { bench: process.pid };
    let beckonSdkMetricsUrl = sdkMetricsUrl;
    if (topology === 'split') {
      const split = await startSplitProcesses(config, pseudonymKey, say);
      stops.push(() => split.stop());
      api = { url: split.apiUrl };
      nodePids = { bench: process.pid, api: split.api.child.pid, worker: split.worker.child.pid };
      beckonSdkMetricsUrl = split.workerSdkMetricsUrl;
    } else {
      const beckon = await startWorker({ config, pool: workerPool, pseudonymKey, payloadCodec: workerCodec.codec, ...(levers.tuning && { tuning: levers.tuning }) });
      stops.push(() => beckon.shutdown());
      worker = beckon;
      const running = await startApi({ config, pool, temporal, pseudonymKey, payloadCodec: apiCodec.codec });
      stops.push(() => running.app.close());
      api = running;
    }
    const { writeKey } = await createSourceRepository(pool, createSigningKeyVault(deriveVaultKey(pseudonymKey))).create(`bench ${new Date().toISOString()}`);
    return {
      config,
      pool,
      workerPool,
      temporal,
      api,
      worker,
      topology,
      nodePids,
      ...(topology === 'single' && { codecTally: { api: apiCodec.tally, worker: workerCodec.tally } }),
      writeKey,
      pseudonymKey,
      sdkMetricsUrl: beckonSdkMetricsUrl,
      serverPid,
      postgresPid,
      describe: {
        postgres: base.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL (throwaway)',
        temporal: base.TEMPORAL_ADDRESS
          ? `TEMPORAL_ADDRESS ${address}`
          : `Temporal CLI dev server (in memory, ${levers.singleWorker ? '1 task queue partition' : '4 task queue partitions'})`,
        levers: JSON.stringify({ ...levers, topology }),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
