import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps';
import { errorHandler } from './errors';
import { consentRoutes } from './routes/consent';
import { healthRoutes } from './routes/health';
import { inboxRoutes } from './routes/inbox';
import { inboxStreamRoutes, type InboxStreamOptions } from './routes/inbox-stream';
import { linkRoutes } from './routes/links';
import { trackRoutes } from './routes/track';

/** Segment's limit on one event; larger bodies get 413 before any parsing. */
const BODY_LIMIT_BYTES = 32 * 1024;
/** Signed link tokens travel in the path and carry a whole click URL; Fastify's default (100) would answer them 404. */
const MAX_PARAM_LENGTH = 8192;

/** The HTTP API with every route, ready to `listen` or `inject`. */
export function buildApp(deps: ApiDeps, options: { logLevel?: string; inboxStream?: InboxStreamOptions } = {}): FastifyInstance {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info' },
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` });
  });
  healthRoutes(app, deps);
  trackRoutes(app, deps);
  inboxRoutes(app, deps);
  inboxStreamRoutes(app, deps, options.inboxStream);
  consentRoutes(app, deps);
  linkRoutes(app, deps);
  return app;
}
