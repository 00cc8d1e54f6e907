import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { cachedRevision } from '../../src/api/catalog-revision';
import { createSignalGate } from '../../src/api/user-signals';
import { loadConfig } from '../../src/config';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { createCampaignRepository, type PublishResult } from '../../src/db/campaign-repository';
import { createSourceRepository } from '../../src/db/source-repository';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { mintUserToken } from '../../src/privacy/user-token';
import { connectClient } from '../../src/temporal/client-connection';
import { startWorker, type BeckonWorker } from '../../src/worker';
import { serve, type HttpRequest, type HttpResponse } from './http';
import { testPool, testTemporalAddress, workflowBundle } from './env';
import { basicAuth, buildTestApp } from './api';

export interface OpsEnv {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  app: FastifyInstance;
  url: string;
  http: (req: HttpRequest) => Promise<HttpResponse>;
  pseudonymize: (userId: string) => string;
  /** One token per scope, and the header that carries it. */
  tokens: { read: string; operate: string; admin: string };
  as: (scope: keyof OpsEnv['tokens']) => Record<string, string>;
  /** A source's write key, and the header that carries it, for the ingestion routes. */
  writeKey: string;
  asSource: Record<string, string>;
  /** The header of a user's own client (their token), for that user's inbox. */
  asUser: (userId: string) => Record<string, string>;
}

/** The API with ops routes and a worker of its own queue, on the shared test Postgres and Temporal; torn down after the file. */
export function opsEnvPerFile(label: string, options: { worker?: boolean } = {}): () => OpsEnv {
  let env: OpsEnv | undefined;
  let worker: BeckonWorker | undefined;
  beforeAll(async () => {
    const pool = testPool();
    const taskQueue = `${label}-${Date.now().toString(36)}`;
    const temporal = await connectClient({ address: testTemporalAddress(), namespace: 'default', waitMs: 10_000 });
    if (options.worker !== false) {
      const config = { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue };
      worker = await startWorker({ config, pool, pseudonymKey: 'ops-test-key-'.padEnd(40, 'x'), workflowBundle: workflowBundle() });
    }
    const pseudonymize = createPseudonymizer('ops-test-key-'.padEnd(40, 'x'));
    const catalogRevision = cachedRevision(() => createCampaignRepository(pool).revision(), 0);
    const linkSigner = createLinkSigner(deriveLinkKey('ops-test-key-'.padEnd(40, 'x')));
    const signingKeyVault = createSigningKeyVault(deriveVaultKey('ops-test-key-'.padEnd(40, 'x')));
    const defaults = loadConfig({});
    const signalGate = createSignalGate(defaults.TEMPORAL_SIGNALS_IN_FLIGHT);
    const { app } = await buildTestApp({
      pool, temporal, taskQueue, pseudonymize, catalogRevision, signalGate, linkSigner, signingKeyVault, erasureWaitMs: defaults.ERASURE_WAIT_MS,
    });
    const http = await serve(app);
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const repo = createAdminTokenRepository(pool);
    const tokens = {
      read: (await repo.create(`${label} read`, ['read'])).token,
      operate: (await repo.create(`${label} operate`, ['operate'])).token,
      admin: (await repo.create(`${label} admin`, ['admin'])).token,
    };
    const { writeKey, signingKey } = await createSourceRepository(pool, signingKeyVault).create(`${label} source`);
    const asSource = { authorization: basicAuth(writeKey) };
    const asUser = (userId: string) => ({ authorization: `Bearer ${mintUserToken(signingKey, userId)}` });
    env = { pool, temporal, taskQueue, app, url, http, pseudonymize, tokens, as: (scope) => ({ authorization: `Bearer ${tokens[scope]}` }), writeKey, asSource, asUser };
  });
  afterAll(async () => {
    await env?.app.close();
    await worker?.shutdown();
    await env?.temporal.connection.close();
    await env?.pool.end();
  });
  return () => {
    if (!env) throw new Error('the ops environment exists only inside a test');
    return env;
  };
}

/** Polls `read` until `done`; fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done in time; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Publishes a campaign from YAML text, as a file in campaigns/ would be. */
export async function publishCampaign(pool: Pool, yaml: string): Promise<PublishResult> {
  return createCampaignRepository(pool).publish(parseCampaignText(yaml, 'test'), 'test');
}

/**
 * Sends one `track` per user through POST /v1/batch, 100 a call, messageIds `${tag}:${userId}`. A loaded Temporal answers
 * 503 (retry later): retried as a client library would, which the messageIds make safe. Returns each call's answer body.
 */
export async function trackInBatches(env: OpsEnv, users: readonly string[], event: string, tag = event): Promise<{ sent: number; body: { accepted: number; duplicates: number } }[]> {
  const answers: { sent: number; body: { accepted: number; duplicates: number } }[] = [];
  for (let i = 0; i < users.length; i += 100) {
    const batch = users.slice(i, i + 100).map((userId) => ({ type: 'track', userId, event, messageId: `${tag}:${userId}` }));
    let response = await env.http({ method: 'POST', url: '/v1/batch', headers: env.asSource, payload: { batch } });
    for (let attempt = 0; response.statusCode === 503 && attempt < 30; attempt++) {
      await new Promise((r) => setTimeout(r, 1000));
      response = await env.http({ method: 'POST', url: '/v1/batch', headers: env.asSource, payload: { batch } });
    }
    expect(response.statusCode).toBe(200);
    answers.push({ sent: batch.length, body: response.json() });
  }
  return answers;
}
