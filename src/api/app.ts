import { createGunzip, createInflate } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { ApiDeps } from './deps';
import { errorHandler } from './errors';
import { registerOpenApi } from './openapi';
import { recordApiMetrics } from '../metrics/api-metrics';
import { codecRoutes } from './routes/codec-routes';
import { consentRoutes } from './routes/consent-routes';
import { consoleRoutes, type ConsoleOptions } from './routes/console-routes';
import { devRoutes } from './routes/dev-routes';
import { healthRoutes } from './routes/health-routes';
import { inboxRoutes } from './routes/inbox-routes';
import { inboxStreamRoutes, type InboxStreamOptions } from './routes/inbox-stream-routes';
import { ingestRoutes } from './routes/ingest-routes';
import { linkRoutes } from './routes/link-routes';
import { metricsRoutes } from './routes/metrics-routes';
import { opsRoutes } from './routes/ops-routes';
import { userTokenRoutes } from './routes/user-token-routes';
import { MESSAGE_LIMIT_BYTES } from './segment/segment-schemas';

export interface AppOptions {
  /** Requests a write key may make per second on this process (INGEST_RATE_LIMIT). */
  ingestRateLimit?: number;
  /** The window of that limit in ms (1000); tests lengthen it so that their requests fall in one window. */
  ingestRateWindowMs?: number;
  /** Serves /codec/decode to this Web UI origin (CODEC_UI_ORIGIN). */
  codec?: { codec: PayloadCodec; uiOrigin: string };
  /** Heartbeat of the live inbox streams (tests shorten it). */
  inboxStream?: InboxStreamOptions;
  /** Where the console's step links open the Temporal Web UI (TEMPORAL_UI_URL). */
  console?: ConsoleOptions;
}

/** Signed link tokens travel in the path and carry a whole click URL; Fastify's default (100) would answer them 404. */
const MAX_PARAM_LENGTH = 8192;

/**
 * The HTTP API with every route, ready to `listen`. Its repositories and services come built in
 * `deps` (src/api.ts `createApiDeps`); whoever built them stops them after the app is closed.
 */
export async function buildApp(deps: ApiDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  // Segment's limit on one event is the default body limit; /v1/batch raises its own.
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: MESSAGE_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A path that is not percent-encoded UTF-8, or a parameter past the limit, gets the same error body as every other 4xx.
    frameworkErrors: errorHandler,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` });
  });
  // RudderStack's clients gzip their batches; the size limits apply to the inflated body.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'deflate') return payload;
    const inflated = payload.pipe(encoding === 'gzip' ? createGunzip() : createInflate()) as unknown as typeof payload & {
      receivedEncodedLength: number;
    };
    // Fastify checks Content-Length against the bytes on the wire, which this counts.
    inflated.receivedEncodedLength = 0;
    // Fastify handles the inflater's errors when it reads the body; when it answers without reading it (415), a corrupt body's error had no listener and crashed the process.
    inflated.on('error', () => {});
    payload.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength += chunk.length));
    return inflated;
  });
  if (deps.metrics) {
    recordApiMetrics(app, deps.metrics);
    metricsRoutes(app, deps.metrics.registry);
  }
  await registerOpenApi(app);
  healthRoutes(app, deps);
  await app.register(async (scope) => ingestRoutes(scope, deps, { rateLimitPerSecond: options.ingestRateLimit ?? 500, rateLimitWindowMs: options.ingestRateWindowMs }));
  // What a user's browser or app reads and sets about that user takes that user's token, not the source's public write key.
  const { clientAuth } = deps;
  await app.register(async (scope) => {
    scope.addHook('onRequest', clientAuth.corsHeaders());
    const paths = new Set<string>();
    scope.addHook('onRoute', (route) => void (route.method !== 'OPTIONS' && paths.add(route.url)));
    inboxRoutes(scope, deps, clientAuth);
    inboxStreamRoutes(scope, deps, clientAuth, options.inboxStream);
    consentRoutes(scope, deps, clientAuth);
    // A browser's preflight for each client route (it carries no credentials, so it is answered by origin alone).
    for (const path of paths) scope.options(path, { schema: { hide: true } }, clientAuth.preflight);
  });
  userTokenRoutes(app, clientAuth);
  app.addHook('onReady', async () => {
    await clientAuth.warnOpenSources().catch((err: Error) => app.log.warn({ err }, 'could not list the sources whose client routes are open'));
  });
  linkRoutes(app, deps);
  if (options.codec) {
    const { codec, uiOrigin } = options.codec;
    await app.register(async (scope) => codecRoutes(scope, codec, uiOrigin, deps.adminTokens));
  }
  if (deps.devSinks) devRoutes(app, deps);
  await app.register(opsRoutes(deps), { prefix: '/v1/ops' });
  consoleRoutes(app, options.console ?? { namespace: 'default' });
  return app;
}
