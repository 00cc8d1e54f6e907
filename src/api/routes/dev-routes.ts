import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps';
import { inboxQuery } from '../schemas/common-schemas';
import { parse } from '../validate';

/** `GET /v1/dev/mail` and `/v1/dev/push`: what npm start's dev sinks caught, newest first; only registered with them. */
export function devRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const outbox = deps.devOutbox;
  app.get('/v1/dev/mail', async (request) => {
    const { limit } = parse(inboxQuery, request.query, 'query');
    return { messages: await outbox.list('email', limit) };
  });
  app.get('/v1/dev/push', async (request) => {
    const { limit } = parse(inboxQuery, request.query, 'query');
    return { messages: await outbox.list('push', limit) };
  });
}
