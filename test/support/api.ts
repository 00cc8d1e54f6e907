import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { createApiDeps, type ApiDepsOptions, type RunningApiDeps } from '../../src/api';
import { buildApp, type AppOptions } from '../../src/api/app';
import { cachedRevision } from '../../src/api/catalog-revision';
import type { ApiBase } from '../../src/api/deps';
import { loadConfig } from '../../src/config';
import { createSignalGate } from '../../src/api/user-signals';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import { createPool } from '../../src/db/pool';
import { createSourceRepository } from '../../src/db/source-repository';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { createSigningKeyVault, deriveVaultKey } from '../../src/privacy/signing-key-vault';
import { mintUserToken } from '../../src/privacy/user-token';
import { payloadCodecFor, type EncryptionCodec } from '../../src/temporal/payload-codec';
import { connectClient } from '../../src/temporal/client-connection';
import { startWorker, type BeckonWorker } from '../../src/worker';
import { testPool, testTemporalAddress, workflowBundle } from './env';
import { serve, type HttpRequest, type HttpResponse } from './http';

export const TEST_PSEUDONYM_KEY = 'test-key-'.padEnd(40, 'x');

/** HTTP Basic with the write key as user name, as Segment clients send it. */
export const basicAuth = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

/** The signing key vault of the tests' PSEUDONYM_KEY. */
export const testSigningKeyVault = () => createSigningKeyVault(deriveVaultKey(TEST_PSEUDONYM_KEY));

/**
 * The credential a user's app sends to a client route (`/v1/users/<userId>/...`): that user's token;
 * the app server's signing key where the path names no user one could make a token for.
 */
export function clientCredential(signingKey: string, url: string): string {
  const match = /^\/v1\/users\/([^/?]+)/.exec(url);
  let userId: string | undefined;
  try {
    userId = match?.[1] ? decodeURIComponent(match[1]).trim() : undefined;
  } catch {
    userId = undefined;
  }
  return `Bearer ${userId ? mintUserToken(signingKey, userId) : signingKey}`;
}

export interface TestApi {
  /**
   * Requests carry the test source's write key, or on a user's client route (inbox, consent) that
   * user's token, unless they set their own `authorization` header.
   */
  http: (req: HttpRequest) => Promise<HttpResponse>;
  url: string;
  writeKey: string;
  /** The test source's signing key (its client routes require user tokens). */
  signingKey: string;
  /** `Authorization: Bearer <token>` for the user's client routes. */
  userAuth: (userId: string) => Record<string, string>;
  sourceId: string;
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  pseudonymize: (userId: string) => string;
  /** The repositories and services the app's routes took. */
  deps: RunningApiDeps;
  app: FastifyInstance;
  /** The codec of the client and the worker (users' data keys in the test Postgres). */
  payloadCodec: EncryptionCodec;
  /** The worker on `taskQueue`, unless started with `worker: false`. */
  worker?: BeckonWorker;
  close(): Promise<void>;
}

/** An app over `base` with repositories and services of its own, as src/api.ts builds them; closing the app stops them. */
export async function buildTestApp(base: ApiBase, options: AppOptions & ApiDepsOptions = {}): Promise<{ app: FastifyInstance; deps: RunningApiDeps }> {
  const deps = await createApiDeps(base, { logLevel: 'silent', ...options });
  const app = await buildApp(deps, options);
  app.addHook('onClose', () => deps.close());
  return { app, deps };
}

/**
 * The API on a real socket over the test Postgres and Temporal, with a fresh source, and (unless
 * `worker: false`) a worker on its own task queue so the workflows it starts run.
 */
export async function startTestApi(
  options: AppOptions &
    ApiDepsOptions & {
    worker?: boolean;
    deps?: Partial<ApiBase>;
    onResponse?: (method: string, url: string, status: number) => void;
    /** Another Postgres or Temporal than the test run's shared ones. */
    databaseUrl?: string;
    temporalAddress?: string;
  } = {},
): Promise<TestApi> {
  const pool = options.databaseUrl ? createPool(options.databaseUrl, 4) : testPool();
  const temporalAddress = options.temporalAddress ?? testTemporalAddress();
  const payloadCodec = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool });
  const temporal = await connectClient({ address: temporalAddress, namespace: 'default', waitMs: 30_000, payloadCodec });
  const taskQueue = `api-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const defaults = loadConfig({});
  let worker: BeckonWorker | undefined;
  if (options.worker !== false) {
    const config = { ...defaults, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue };
    worker = await startWorker({ config, pool, pseudonymKey: TEST_PSEUDONYM_KEY, workflowBundle: workflowBundle(), payloadCodec });
  }
  const pseudonymize = createPseudonymizer(TEST_PSEUDONYM_KEY);
  const base: ApiBase = {
    pool,
    temporal,
    taskQueue,
    pseudonymize,
    catalogRevision: cachedRevision(() => createCampaignRepository(pool).revision()),
    signalGate: createSignalGate(defaults.TEMPORAL_SIGNALS_IN_FLIGHT),
    erasureWaitMs: defaults.ERASURE_WAIT_MS,
    linkSigner: createLinkSigner(deriveLinkKey(TEST_PSEUDONYM_KEY)),
    signingKeyVault: testSigningKeyVault(),
    ...options.deps,
  };
  const { app, deps } = await buildTestApp(base, options);
  const observe = options.onResponse;
  if (observe) app.addHook('onResponse', async (request, reply) => observe(request.method, request.url, reply.statusCode));
  const { source, writeKey, signingKey } = await createSourceRepository(pool, deps.signingKeyVault).create(`test ${taskQueue}`);
  const raw = await serve(app);
  const defaultAuth = (url: string) => (url.startsWith('/v1/users/') ? clientCredential(signingKey, url) : basicAuth(writeKey));
  const http = (req: HttpRequest) => raw({ ...req, headers: { authorization: defaultAuth(req.url), ...req.headers } });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    http,
    url,
    writeKey,
    signingKey,
    userAuth: (userId) => ({ authorization: `Bearer ${mintUserToken(signingKey, userId)}` }),
    sourceId: source.id,
    pool,
    temporal: deps.temporal,
    taskQueue,
    pseudonymize,
    deps,
    app,
    worker,
    payloadCodec,
    // Each step runs even when one before it failed, so one failure does not leave the others' handles open.
    async close() {
      try {
        await app.close();
      } finally {
        try {
          await worker?.shutdown();
        } finally {
          await temporal.connection.close().finally(() => pool.end());
        }
      }
    },
  };
}

/** Polls `read` until `done` holds (workflows run asynchronously to the API's answer). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch((err: unknown) => err as T);
    if (!(value instanceof Error) && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done in time; last value: ${value instanceof Error ? value.message : JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
