import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createInboxRepository, type InboxAction } from '../../db/inbox';
import type { ApiDeps } from '../deps';
import { createEngagementReporter } from '../engagement';
import { clickBody, encodeCursor, inboxListQuery, messageParams } from '../inbox-schemas';
import { userParams } from '../schemas';
import { parse } from '../validate';

/** The in-app inbox as an app reads it: pages of messages, the unread count, and what the user did to each message. */
export function inboxRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const inbox = createInboxRepository(deps.pool);
  const engagement = createEngagementReporter(deps, app.log);
  app.addHook('onClose', () => engagement.settle());

  app.get('/v1/users/:userId/inbox', async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const query = parse(inboxListQuery, request.query, 'query');
    // One more than asked tells whether another page follows, without a count query.
    const rows = await inbox.list(deps.pseudonymize(userId), {
      limit: query.limit + 1,
      beforeId: query.cursor,
      unreadOnly: query.unread,
      includeDismissed: query.includeDismissed,
    });
    const messages = rows.slice(0, query.limit);
    const last = messages[messages.length - 1];
    return { userId, messages, next: rows.length > query.limit && last ? encodeCursor(last.id) : null };
  });

  app.get('/v1/users/:userId/inbox/unread-count', async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    return { userId, unread: await inbox.unreadCount(deps.pseudonymize(userId)) };
  });

  const action = (name: InboxAction) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { userId, messageId } = parse(messageParams, request.params, 'params');
    const url = name === 'click' ? parse(clickBody, request.body ?? undefined, 'body').url : undefined;
    const pseudonym = deps.pseudonymize(userId);
    const marked = await inbox.mark(pseudonym, messageId, name);
    if (!marked) return reply.status(404).send({ error: 'not_found', message: `user ${userId} has no inbox message ${messageId}` });
    if (name === 'read' || name === 'click') {
      // Opened before clicked: statistics count a click's open too (the messageId keeps it to one).
      await engagement.report({ kind: 'opened', deliveryKey: marked.deliveryKey, channel: 'in_app' }, pseudonym, { background: true });
    }
    if (name === 'click') {
      const target = url ?? marked.message.actionUrl ?? undefined;
      await engagement.report({ kind: 'clicked', deliveryKey: marked.deliveryKey, channel: 'in_app', url: target }, pseudonym, { background: true });
    }
    return reply.status(200).send({ userId, message: marked.message });
  };

  app.post('/v1/users/:userId/inbox/:messageId/seen', action('seen'));
  app.post('/v1/users/:userId/inbox/:messageId/read', action('read'));
  app.post('/v1/users/:userId/inbox/:messageId/click', action('click'));
  app.post('/v1/users/:userId/inbox/:messageId/dismiss', action('dismiss'));
}
