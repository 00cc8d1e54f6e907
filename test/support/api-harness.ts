import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from '../../src/api/app';
import { cachedRevision } from '../../src/api/catalog-revision';
import type { ApiDeps } from '../../src/api/deps';
import { loadConfig } from '../../src/config';
import { createCampaignRepository } from '../../src/db/campaigns';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { connectClient } from '../../src/temporal/connection';
import { stateQuery, userWorkflowId, type UserStateView } from '../../src/workflows/messages';
import { startWorker, type BeckonWorker } from '../../src/worker';
import { asApp } from './app-client';
import { testPool, testTemporalAddress, workflowBundle } from './env';
import { request, type HttpRequest, type HttpResponse } from './http';

const key = 'api-harness-key-'.padEnd(48, 'k');

/** The API on a real socket over the test Postgres and dev Temporal server, with a worker on its own task queue. */
export interface ApiHarness {
  deps: ApiDeps;
  app: FastifyInstance;
  baseUrl: string;
  /** Any route, as is: link routes authenticate by signature. */
  http: (req: HttpRequest) => Promise<HttpResponse>;
  /** App-facing routes (inbox, consent), with the app's credentials. */
  appHttp: (req: HttpRequest) => Promise<HttpResponse>;
  /** The user workflow's state once `done` holds (polls the state query). */
  userState(pseudonym: string, done: (view: UserStateView) => boolean): Promise<UserStateView>;
  close(): Promise<void>;
}

export async function startApiHarness(label: string): Promise<ApiHarness> {
  const pool: Pool = testPool();
  const taskQueue = `${label}-${Date.now().toString(36)}`;
  const temporal = await connectClient({ address: testTemporalAddress(), namespace: 'default', waitMs: 10_000 });
  const config = { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue };
  const worker: BeckonWorker = await startWorker({ config, pool, workflowBundle: workflowBundle() });
  const deps: ApiDeps = {
    pool,
    temporal,
    taskQueue,
    pseudonymize: createPseudonymizer(key),
    catalogRevision: cachedRevision(() => createCampaignRepository(pool).revision()),
    linkSigner: createLinkSigner(deriveLinkKey(key)),
  };
  const app = buildApp(deps, { logLevel: 'silent' });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const http = (req: HttpRequest) => request(baseUrl, req);
  return {
    deps,
    app,
    baseUrl,
    http,
    appHttp: asApp(http),
    userState: (pseudonym, done) => eventually(() => temporal.workflow.getHandle(userWorkflowId(pseudonym)).query(stateQuery), done),
    async close() {
      await app.close();
      await worker.shutdown();
      await temporal.connection.close();
      await pool.end();
    },
  };
}

/** The same API over a Temporal that cannot be reached (nothing listens on port 1). */
export function offlineTemporal(): Client {
  return new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }) });
}

/** Polls until `done` holds; a real deadline only stops a test that would otherwise hang. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch((err: Error) => err);
    if (!(value instanceof Error) && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done in time; last value: ${value instanceof Error ? value.message : JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
