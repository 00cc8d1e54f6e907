import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startCluster, type Cluster } from '../../scripts/cluster/cluster';
import { ensureDatabase } from '../../scripts/cluster/cluster-postgres';
import { createSourceRepository } from '../../src/db/source-repository';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { basicAuth } from '../support/api';
import { daytimeZone } from '../support/daytime';
import { request, type HttpResponse } from '../support/http';
import { freePort } from '../support/ports';

const repoRoot = resolve(__dirname, '..', '..');
export const CLUSTER_PSEUDONYM_KEY = 'cluster-test-pseudonym-key-'.padEnd(48, 'c');
export const pseudonymize = createPseudonymizer(CLUSTER_PSEUDONYM_KEY);

export interface TestCluster extends Cluster {
  writeKey: string;
  /** The source's signing key: its client routes take user tokens made with it. */
  signingKey: string;
  campaignsDir: string;
  /** The cluster's own folder (server and UI configs). */
  dir: string;
  send(apiIndex: number, type: 'identify' | 'track', payload: Record<string, unknown>): Promise<HttpResponse>;
}

/**
 * The cluster the tests run on: Beckon's database and Temporal's two beside DATABASE_URL's (names of
 * their own, so `npm test`'s data stays apart), 4 history shards, 2 workers, 2 API replicas, the Web UI.
 */
export async function startTestCluster(campaigns: Record<string, unknown>[]): Promise<TestCluster> {
  const base = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('the cluster tests need a PostgreSQL server: DATABASE_URL, else the embedded one of test/support/cluster-global-setup.ts');
  const url = new URL(base);
  const prefix = `${url.pathname.replace(/^\//, '') || 'postgres'}_cluster`;
  const server = { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username || 'postgres'), password: url.password || undefined };
  await ensureDatabase(server, prefix);
  url.pathname = `/${prefix}`;

  const dir = mkdtempSync(join(tmpdir(), 'beckon-cluster-test-'));
  const campaignsDir = join(dir, 'campaigns');
  mkdirSync(campaignsDir);
  copyFileSync(join(repoRoot, 'campaigns', 'policy.yaml'), join(campaignsDir, 'policy.yaml'));
  for (const campaign of campaigns) writeFileSync(join(campaignsDir, `${String(campaign.id)}.yaml`), stringify(campaign));

  const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  const cluster = await startCluster({
    databaseUrl: url.toString(),
    dir,
    temporalDatabase: `${prefix}_temporal`,
    temporalVisibilityDatabase: `${prefix}_temporal_visibility`,
    namespace: 'beckon',
    historyShards: 4,
    workers: 2,
    workerMetricsPorts: [ports[0]!, ports[5]!],
    workerSdkMetricsPorts: [ports[6]!, ports[7]!],
    apiPorts: [ports[1]!, ports[2]!],
    temporalPort: ports[3]!,
    webUiPort: ports[8]!,
    smtpPort: 0,
    postgresPort: ports[4]!,
    pseudonymKey: CLUSTER_PSEUDONYM_KEY,
    env: { CAMPAIGNS_DIR: campaignsDir, LOG_LEVEL: 'warn', INGEST_RATE_LIMIT: '100000' },
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const sources = createSourceRepository(cluster.pool, createSigningKeyVault(deriveVaultKey(CLUSTER_PSEUDONYM_KEY)));
  const { writeKey, signingKey } = await sources.create(`cluster-test-${Date.now().toString(36)}`);
  return {
    ...cluster,
    writeKey,
    signingKey,
    campaignsDir,
    dir,
    send: (apiIndex, type, payload) =>
      request(cluster.apiUrls[apiIndex]!, { method: 'POST', url: `/v1/${type}`, payload, headers: { authorization: basicAuth(writeKey) } }),
  };
}

/** A user who may be reached now (daytime zone, so quiet hours do not defer) by email and in-app. */
export async function identify(cluster: TestCluster, apiIndex: number, userId: string): Promise<void> {
  const response = await cluster.send(apiIndex, 'identify', {
    messageId: `${userId}-identify`,
    userId,
    traits: { email: `${userId}@cluster.test` },
    context: { timezone: daytimeZone() },
  });
  if (response.statusCode !== 200) throw new Error(`identify answered ${response.statusCode}: ${response.body}`);
}

export async function track(cluster: TestCluster, apiIndex: number, userId: string, event: string, messageId = `${userId}-${event}`): Promise<HttpResponse> {
  const response = await cluster.send(apiIndex, 'track', { messageId, userId, event });
  if (response.statusCode !== 200) throw new Error(`track answered ${response.statusCode}: ${response.body}`);
  return response;
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` until it returns a value, or fails naming what it waited for. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, withinMs = 240_000): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Deliveries of a campaign per state; `sent` rows are the sends that left. */
export async function deliveryRows(cluster: TestCluster, campaignId: string): Promise<{ pseudonym: string; step_id: string; status: string; delivery_key: string }[]> {
  const result = await cluster.pool.query(
    'SELECT pseudonym, step_id, status, delivery_key FROM deliveries WHERE campaign_id = $1 ORDER BY pseudonym, step_id',
    [campaignId],
  );
  return result.rows;
}

/** One sample of a Prometheus exposition: the value of `name` whose labels include all of `labels`, summed. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) sum += Number(match[4]);
  }
  return sum;
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}
