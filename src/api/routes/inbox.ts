import type { FastifyInstance } from 'fastify';
import { createInboxRepository } from '../../db/inbox';
import type { ApiDeps } from '../deps';
import { describeRoute } from '../openapi';
import { inboxQuery, userParams } from '../schemas';
import { parse } from '../validate';

/** `GET /v1/users/:userId/inbox`: the user's in-app messages, newest first. */
export function inboxRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const inbox = createInboxRepository(deps.pool);

  const doc = describeRoute({ summary: "The user's in-app messages, newest first", tags: ['inbox'], params: userParams, querystring: inboxQuery });
  app.get('/v1/users/:userId/inbox', doc, async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const { limit } = parse(inboxQuery, request.query, 'query');
    const messages = await inbox.list(deps.pseudonymize(userId), { limit });
    return { userId, messages };
  });
}
