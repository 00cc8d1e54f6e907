import { resolve } from 'node:path';
import type { Config } from '../../src/config';
import { freePort } from '../../test/support/ports';
import { spawnLogged, type LoggedProcess } from '../cluster/logged-process';
import { tagged } from './statements';

const repoRoot = resolve(__dirname, '../..');

/** The API and the worker as processes of their own (`--topology split`), as `npm run api` and `npm run worker` run them. */
export interface SplitProcesses {
  api: LoggedProcess;
  worker: LoggedProcess;
  apiUrl: string;
  /** The worker's Temporal runtime's Prometheus exporter (its TEMPORAL_SDK_METRICS_PORT). */
  workerSdkMetricsUrl: string;
  stop(): Promise<void>;
}

/** Variables that would point a child at another deployment than the bench's; the bench sets its own. */
const NOT_INHERITED = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'PORT', 'HOST', 'DATA_DIR', 'PSEUDONYM_KEY',
  'NODE_OPTIONS', 'METRICS_PORT', 'TEMPORAL_SDK_METRICS_PORT', 'LOG_LEVEL', 'INGEST_RATE_LIMIT', 'TEMPORAL_SIGNALS_IN_FLIGHT'];

/** The environment of one child: this process's, minus what would point it elsewhere, plus the bench's stack. */
export function splitChildEnv(parent: NodeJS.ProcessEnv, config: Config, pseudonymKey: string, own: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const name of NOT_INHERITED) delete env[name];
  return {
    ...env,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    PSEUDONYM_KEY: pseudonymKey,
    HOST: '127.0.0.1',
    LOG_LEVEL: config.LOG_LEVEL,
    INGEST_RATE_LIMIT: String(config.INGEST_RATE_LIMIT),
    TEMPORAL_SIGNALS_IN_FLIGHT: String(config.TEMPORAL_SIGNALS_IN_FLIGHT),
    ...own,
  };
}

/**
 * Starts the worker, then the API, each a Node process running its entry point through tsx's loader in
 * that one process (no tsx parent in between), so /proc/<pid>/stat of the child is its whole CPU.
 * Each gets ports from freePort: the worker's METRICS_PORT and TEMPORAL_SDK_METRICS_PORT apart (not
 * METRICS_PORT + 1, which another process may hold), the API's PORT.
 */
export async function startSplitProcesses(config: Config, pseudonymKey: string, log: (line: string) => void): Promise<SplitProcesses> {
  const databaseUrl = config.DATABASE_URL!;
  const metricsPort = await freePort();
  const sdkMetricsPort = await freePort();
  const apiPort = await freePort();
  const spawn = (name: string, script: string, own: Record<string, string>) =>
    spawnLogged(process.execPath, ['--import', 'tsx', script], { name, cwd: repoRoot, env: splitChildEnv(process.env, config, pseudonymKey, own), log });
  const started: LoggedProcess[] = [];
  const stop = async () => {
    for (const child of started.reverse()) await child.stop('SIGTERM', 20_000).catch(() => undefined);
  };
  try {
    // The same application names as the one process's pools, so Postgres sees the same parties.
    const worker = spawn('worker', 'src/worker.ts', { DATABASE_URL: tagged(databaseUrl, 'beckon-worker'), METRICS_PORT: String(metricsPort), TEMPORAL_SDK_METRICS_PORT: String(sdkMetricsPort) });
    started.push(worker);
    // Bundling the workflow code takes most of a core for a while on a loaded machine.
    await worker.waitFor(/worker polling task queue/, 300_000);
    const api = spawn('api', 'src/api.ts', { DATABASE_URL: tagged(databaseUrl, 'beckon-api'), PORT: String(apiPort) });
    started.push(api);
    await api.waitFor(/API listening on/, 120_000);
    return { api, worker, apiUrl: `http://127.0.0.1:${apiPort}`, workerSdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
