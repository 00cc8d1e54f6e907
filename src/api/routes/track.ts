import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createUserRepository } from '../../db/users';
import type { TrackedEvent } from '../../domain/events';
import type { ApiDeps } from '../deps';
import { trackBody } from '../schemas';
import { signalUserEvent } from '../user-signals';
import { parse } from '../validate';

/** `POST /v1/track`: records the user and signals their workflow, starting it on the first event. */
export function trackRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const users = createUserRepository(deps.pool);

  app.post('/v1/track', async (request, reply) => {
    const body = parse(trackBody, request.body);
    const receivedAt = new Date().toISOString();
    const event: TrackedEvent = {
      messageId: body.messageId ?? randomUUID(),
      event: body.event,
      properties: body.properties,
      timestamp: body.timestamp ? new Date(body.timestamp).toISOString() : receivedAt,
      receivedAt,
    };
    const pseudonym = deps.pseudonymize(body.userId);
    await users.touch(body.userId, pseudonym);
    await signalUserEvent(deps, pseudonym, event);
    return reply.status(200).send({ success: true, messageId: event.messageId });
  });
}
