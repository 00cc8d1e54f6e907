import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InboxAction } from '../../db/inbox-repository';
import type { ClientAuth } from '../auth/client-auth';
import type { ApiDeps } from '../deps';
import { clickBody, encodeCursor, inboxListQuery, messageParams } from '../schemas/inbox-schemas';
import { AUTH_FAILURES, CLIENT_AUTH, describeRoute } from '../openapi';
import { userParams } from '../schemas/common-schemas';
import { parse } from '../validate';

/**
 * The in-app inbox as an app reads it: pages of messages, the unread count, and what the user did to
 * each message; each route for the user of its token only.
 */
export function inboxRoutes(app: FastifyInstance, deps: ApiDeps, auth: ClientAuth): void {
  const { inbox, engagement } = deps;

  const listDoc = describeRoute({
    summary: "The user's in-app messages, newest first, a page at a time",
    description: 'Dismissed messages are left out unless `includeDismissed=true`; `next` is the cursor of the following page, or null.',
    tags: ['inbox'],
    params: userParams,
    querystring: inboxListQuery,
    auth: CLIENT_AUTH,
    responses: { ...AUTH_FAILURES, 400: 'A query parameter is out of range or not a cursor this API gave out' },
  });
  const preHandler = auth.requireUser();
  app.get('/v1/users/:userId/inbox', { ...listDoc, preHandler }, async (request) => {
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

  const countDoc = describeRoute({
    summary: 'How many messages the user has neither read nor dismissed',
    tags: ['inbox'],
    params: userParams,
    auth: CLIENT_AUTH,
    responses: AUTH_FAILURES,
  });
  app.get('/v1/users/:userId/inbox/unread-count', { ...countDoc, preHandler }, async (request) => {
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

  const actionDoc = (summary: string, body?: typeof clickBody) =>
    ({
      ...describeRoute({
        summary,
        tags: ['inbox'],
        params: messageParams,
        body,
        auth: CLIENT_AUTH,
        responses: { ...AUTH_FAILURES, 400: 'A bad message id or URL', 404: 'The user has no message with this id' },
      }),
      preHandler,
    });
  app.post('/v1/users/:userId/inbox/:messageId/seen', actionDoc('The message was shown (idempotent)'), action('seen'));
  app.post('/v1/users/:userId/inbox/:messageId/read', actionDoc('The message was opened: Message Opened (idempotent)'), action('read'));
  app.post('/v1/users/:userId/inbox/:messageId/click', actionDoc('The message was followed: Message Opened and Message Clicked (idempotent)', clickBody), action('click'));
  app.post('/v1/users/:userId/inbox/:messageId/dismiss', actionDoc('The message was dismissed: hidden from the list (idempotent)'), action('dismiss'));
}
