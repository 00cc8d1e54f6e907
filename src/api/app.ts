import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps';
import { errorHandler } from './errors';
import { healthRoutes } from './routes/health';
import { inboxRoutes } from './routes/inbox';
import { ingestRoutes } from './routes/ingest';
import { MESSAGE_LIMIT_BYTES } from './segment/schemas';

export interface AppOptions {
  logLevel?: string;
  /** Requests a write key may make per second on this process (INGEST_RATE_LIMIT). */
  ingestRateLimit?: number;
}

/** The HTTP API with every route, ready to `listen`. */
export async function buildApp(deps: ApiDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  // Segment's limit on one event is the default body limit; /v1/batch raises its own.
  const app = Fastify({ logger: { level: options.logLevel ?? 'info' }, bodyLimit: MESSAGE_LIMIT_BYTES });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` });
  });
  healthRoutes(app, deps);
  await app.register(async (scope) => ingestRoutes(scope, deps, { rateLimitPerSecond: options.ingestRateLimit ?? 500 }));
  inboxRoutes(app, deps);
  return app;
}
