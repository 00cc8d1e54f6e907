import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config';
import { createSourceRepository } from '../../src/db/source-repository';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { runMain } from '../../src/process';
import { startCluster } from './cluster';

/**
 * `npm run cluster`: the production topology on this machine, as real processes, until Ctrl-C.
 * The variables are the ones docker-compose.yml sets; the numbers below can be changed with CLUSTER_*.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const env = process.env;
  const dir = resolve(config.DATA_DIR, 'cluster');
  mkdirSync(dir, { recursive: true });
  const number = (name: string, fallback: number) => Number(env[name] ?? fallback);
  const apiPort = number('CLUSTER_API_PORT', 3000);
  const pseudonymKey = config.PSEUDONYM_KEY ?? keptKey(join(dir, 'pseudonym.key'));
  const cluster = await startCluster({
    databaseUrl: config.DATABASE_URL,
    dir,
    temporalDatabase: env.CLUSTER_TEMPORAL_DB ?? 'temporal',
    temporalVisibilityDatabase: env.CLUSTER_TEMPORAL_VISIBILITY_DB ?? 'temporal_visibility',
    namespace: env.TEMPORAL_NAMESPACE ?? 'beckon',
    historyShards: number('CLUSTER_HISTORY_SHARDS', 4),
    workers: number('CLUSTER_WORKERS', 2),
    // 9464 is Prometheus' customary exporter port; each worker takes two (its own, then the SDK's).
    workerMetricsPorts: Array.from({ length: number('CLUSTER_WORKERS', 2) }, (_, i) => number('CLUSTER_METRICS_PORT', 9464) + 2 * i),
    apiPorts: Array.from({ length: number('CLUSTER_APIS', 2) }, (_, i) => apiPort + i),
    temporalPort: number('CLUSTER_TEMPORAL_PORT', 7233),
    webUiPort: number('CLUSTER_UI_PORT', 8233),
    smtpPort: number('CLUSTER_SMTP_PORT', 2525),
    postgresPort: number('CLUSTER_PG_PORT', 55433),
    pseudonymKey,
    env: { LOG_LEVEL: config.LOG_LEVEL },
    log: (line) => console.log(line),
  });
  const writeKey = await clusterWriteKey(cluster.pool, join(dir, 'write-key'), pseudonymKey);
  console.log(
    [
      '',
      'Beckon cluster is up (Ctrl-C stops all of it):',
      ...cluster.apiUrls.map((url, i) => `  API replica ${i + 1}:  ${url}`),
      `  workers:        ${cluster.workers.length} (pids ${cluster.workers.map((w) => w.process().child.pid).join(', ')}), metrics ${cluster.workerMetricsUrls.join(' ')}`,
      `  API metrics:    ${cluster.apiUrls.map((url) => `${url}/metrics`).join(' ')}`,
      `  Temporal:       ${cluster.temporal.address} (namespace ${cluster.namespace}, pid ${cluster.temporal.process().child.pid}), metrics ${cluster.temporal.metricsUrl}`,
      `  Web UI:         ${cluster.webUiUrl ?? 'not started (see above)'}`,
      `  PostgreSQL:     ${cluster.postgres.origin}${cluster.postgres.pid ? ` (pid ${cluster.postgres.pid})` : ''}; Beckon's database ${cluster.postgres.beckonUrl}`,
      `  SMTP sink:      127.0.0.1:${cluster.smtp.port} (mail kept in the dev_outbox table)`,
      `  write key:      ${writeKey}`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  console.log('stopping the cluster...');
  await cluster.stop();
}

function keptKey(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/** A source for trying the cluster out; its key is kept beside the data (Postgres holds only its hash). */
async function clusterWriteKey(pool: Parameters<typeof createSourceRepository>[0], file: string, pseudonymKey: string): Promise<string> {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const { writeKey, signingKey } = await createSourceRepository(pool, createSigningKeyVault(deriveVaultKey(pseudonymKey))).create('cluster');
  writeFileSync(file, writeKey, { mode: 0o600 });
  // Its client routes (inbox, consent) take user tokens made with this key (README, "user tokens").
  writeFileSync(`${file.replace(/write-key$/, 'signing-key')}`, signingKey, { mode: 0o600 });
  return writeKey;
}

runMain(main);
