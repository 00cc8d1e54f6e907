import { createGunzip, createInflate } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import { createAdminTokenRepository } from '../db/admin-token-repository';
import { createSourceRepository } from '../db/source-repository';
import type { ApiDeps } from './deps';
import { requireSource } from './auth/source-auth';
import { errorHandler } from './errors';
import { registerOpenApi } from './openapi';
import { codecRoutes } from './routes/codec-routes';
import { consentRoutes } from './routes/consent-routes';
import { devRoutes } from './routes/dev-routes';
import { healthRoutes } from './routes/health-routes';
import { inboxRoutes } from './routes/inbox-routes';
import { inboxStreamRoutes, type InboxStreamOptions } from './routes/inbox-stream-routes';
import { ingestRoutes } from './routes/ingest-routes';
import { linkRoutes } from './routes/link-routes';
import { opsRoutes } from './routes/ops-routes';
import { MESSAGE_LIMIT_BYTES } from './segment/segment-schemas';

export interface AppOptions {
  logLevel?: string;
  /** Requests a write key may make per second on this process (INGEST_RATE_LIMIT). */
  ingestRateLimit?: number;
  /** Serves /codec/decode to this Web UI origin (CODEC_UI_ORIGIN). */
  codec?: { codec: PayloadCodec; uiOrigin: string };
  /** Heartbeat and change feed of the live inbox streams (tests shorten them). */
  inboxStream?: InboxStreamOptions;
}

/** Signed link tokens travel in the path and carry a whole click URL; Fastify's default (100) would answer them 404. */
const MAX_PARAM_LENGTH = 8192;

/** The HTTP API with every route, ready to `listen`. */
export async function buildApp(deps: ApiDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  // Segment's limit on one event is the default body limit; /v1/batch raises its own.
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info' },
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
  await registerOpenApi(app);
  healthRoutes(app, deps);
  await app.register(async (scope) => ingestRoutes(scope, deps, { rateLimitPerSecond: options.ingestRateLimit ?? 500 }));
  // What apps read and set about their users takes the same write key as what they send.
  await app.register(async (scope) => {
    scope.addHook('preHandler', requireSource(createSourceRepository(deps.pool)));
    inboxRoutes(scope, deps);
    inboxStreamRoutes(scope, deps, options.inboxStream);
    consentRoutes(scope, deps);
  });
  linkRoutes(app, deps);
  if (options.codec) {
    const { codec, uiOrigin } = options.codec;
    await app.register(async (scope) => codecRoutes(scope, codec, uiOrigin, createAdminTokenRepository(deps.pool)));
  }
  if (deps.devSinks) devRoutes(app, deps);
  await app.register(opsRoutes(deps), { prefix: '/v1/ops' });
  return app;
}
