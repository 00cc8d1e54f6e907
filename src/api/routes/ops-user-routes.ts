import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { PrivacyOps } from '../../ops/privacy-ops';
import type { UserOps } from '../../ops/user-ops';
import type { AdminScope } from '../../privacy/admin-token';
import type { ApiDeps } from '../deps';
import { journeyParams, reasonBody, userParams, workflowParams } from '../schemas/ops-schemas';
import { parse } from '../validate';

/** `/v1/ops/users/:userId...` and `/v1/ops/journeys/:workflowId/reset`: one user's journeys and state. */
export function opsUserRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  ops: UserOps,
  privacy: PrivacyOps,
  guard: (needed: AdminScope) => RouteShorthandOptions,
): void {
  // Erasure: 200 with what was removed, or 202 while the durable erasure workflow is still at work (it finishes on its own).
  app.delete('/users/:userId', guard('admin'), async (request, reply) => {
    const { userId } = parse(userParams, request.params, 'params');
    const answer = await privacy.erase(deps.pseudonymize(userId), request.adminToken!.id);
    if (answer.status === 'running') return reply.status(202).send({ userId, ...answer });
    return { userId, status: answer.status, ...answer.result };
  });

  app.get('/users/:userId/export', guard('admin'), async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    return privacy.export(userId, deps.pseudonymize(userId));
  });

  // Lifts an erasure's suppression: calls for the user ID are taken again (as a new person).
  app.delete('/users/:userId/suppression', guard('admin'), async (request, reply) => {
    const { userId } = parse(userParams, request.params, 'params');
    const lifted = await privacy.lift(deps.pseudonymize(userId), request.adminToken!.id);
    if (!lifted) return reply.status(404).send({ error: 'not_found', message: `user ${userId} is not suppressed` });
    return { userId, suppressed: false };
  });

  app.get('/users/:userId', guard('read'), async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const pseudonym = deps.pseudonymize(userId);
    return { userId, ...(await ops.state(pseudonym)) };
  });

  app.get('/users/:userId/journeys', guard('read'), async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const pseudonym = deps.pseudonymize(userId);
    return { userId, pseudonym, journeys: await ops.journeys(pseudonym) };
  });

  app.get('/users/:userId/journeys/:campaignId/:entry', guard('read'), async (request) => {
    const { userId, campaignId, entry } = parse(journeyParams, request.params, 'params');
    return ops.journey(campaignId, deps.pseudonymize(userId), entry);
  });

  app.post('/users/:userId/journeys/:campaignId/:entry/cancel', guard('operate'), async (request, reply) => {
    const { userId, campaignId, entry } = parse(journeyParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return reply.status(202).send(await ops.cancelJourney(campaignId, deps.pseudonymize(userId), entry, reason));
  });

  app.post('/journeys/:workflowId/reset', guard('operate'), async (request) => {
    const { workflowId } = parse(workflowParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return ops.resetJourney(workflowId, reason);
  });
}
