import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createUserRepository } from '../../db/users';
import type { TrackedEvent } from '../../domain/events';
import { eventSignal, userWorkflowId, type EventSignal, type UserWorkflowInput } from '../../workflows/messages';
import { beckonUser } from '../../workflows/search-attributes';
import type { userWorkflow } from '../../workflows/user';
import type { ApiDeps } from '../deps';
import { trackBody } from '../schemas';
import { parse } from '../validate';

const TEMPORAL_DEADLINE_MS = 5_000;

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
    const start: UserWorkflowInput = { version: 1, pseudonym };
    const signal: EventSignal = { version: 1, event, catalogRevision: await deps.catalogRevision() };
    // A bounded wait: past it the client gets 503 and retries, instead of holding the request while Temporal is down.
    await deps.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      deps.temporal.workflow.signalWithStart<typeof userWorkflow, [EventSignal]>('userWorkflow', {
        workflowId: userWorkflowId(pseudonym),
        taskQueue: deps.taskQueue,
        args: [start],
        signal: eventSignal,
        signalArgs: [signal],
        typedSearchAttributes: [{ key: beckonUser, value: pseudonym }],
      }),
    );
    return reply.status(200).send({ success: true, messageId: event.messageId });
  });
}
