import type { FastifyInstance } from 'fastify';
import type { PrivacyOps } from '../../ops/privacy-ops';
import type { UserOps } from '../../ops/user-ops';
import type { ApiDeps } from '../deps';
import { journeyParams, reasonBody, userParams, workflowParams } from '../schemas/ops-schemas';
import { parse } from '../validate';
import type { OpsRoute } from './ops-routes';

/** `/v1/ops/users/:userId...` and `/v1/ops/journeys/:workflowId/reset`: one user's journeys and state. */
export function opsUserRoutes(app: FastifyInstance, deps: ApiDeps, ops: UserOps, privacy: PrivacyOps, route: OpsRoute): void {
  const noWorkflow = { 404: 'No such workflow: the user sent no event yet, or the journey does not exist' };
  const eraseDoc = {
    summary: 'Erases the person: their workflows, their rows and their data key; later calls for them are dropped',
    description: '200 with what was removed, or 202 while the durable erasure workflow is still at work (it finishes on its own).',
    params: userParams,
    responses: { 202: 'The erasure is still running; it finishes on its own' },
  };
  // Erasure: 200 with what was removed, or 202 while the durable erasure workflow is still at work (it finishes on its own).
  app.delete('/users/:userId', route('admin', eraseDoc), async (request, reply) => {
    const { userId } = parse(userParams, request.params, 'params');
    const answer = await privacy.erase(deps.pseudonymize(userId), request.adminToken!.id);
    if (answer.status === 'running') return reply.status(202).send({ userId, ...answer });
    return { userId, status: answer.status, ...answer.result };
  });

  const exportDoc = { summary: 'Everything Beckon holds about the person, as one JSON document', params: userParams };
  app.get('/users/:userId/export', route('admin', exportDoc), async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    return privacy.export(userId, deps.pseudonymize(userId));
  });

  // Lifts an erasure's suppression: calls for the user ID are taken again (as a new person).
  const liftDoc = { summary: "Lifts an erasure's suppression: calls for the user ID are taken again, as a new person", params: userParams, responses: { 404: 'The user is not suppressed' } };
  app.delete('/users/:userId/suppression', route('admin', liftDoc), async (request, reply) => {
    const { userId } = parse(userParams, request.params, 'params');
    const lifted = await privacy.lift(deps.pseudonymize(userId), request.adminToken!.id);
    if (!lifted) return reply.status(404).send({ error: 'not_found', message: `user ${userId} is not suppressed` });
    return { userId, suppressed: false };
  });

  const stateDoc = { summary: "The user workflow's state: last seen per event, counters, traits, running journeys", params: userParams, responses: noWorkflow };
  app.get('/users/:userId', route('read', stateDoc), async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const pseudonym = deps.pseudonymize(userId);
    return { userId, ...(await ops.state(pseudonym)) };
  });

  const journeysDoc = { summary: "The user's journeys, running and finished, from Temporal's visibility", params: userParams };
  app.get('/users/:userId/journeys', route('read', journeysDoc), async (request) => {
    const { userId } = parse(userParams, request.params, 'params');
    const pseudonym = deps.pseudonymize(userId);
    return { userId, pseudonym, journeys: await ops.journeys(pseudonym) };
  });

  const journeyDoc = { summary: 'One journey: its step, status and what it waits for', params: journeyParams, responses: noWorkflow };
  app.get('/users/:userId/journeys/:campaignId/:entry', route('read', journeyDoc), async (request) => {
    const { userId, campaignId, entry } = parse(journeyParams, request.params, 'params');
    return ops.journey(campaignId, deps.pseudonymize(userId), entry);
  });

  const cancelDoc = {
    summary: 'Cancels one running journey of the user (202)',
    params: journeyParams,
    body: reasonBody,
    responses: { ...noWorkflow, 409: 'The journey is not running' },
  };
  app.post('/users/:userId/journeys/:campaignId/:entry/cancel', route('operate', cancelDoc), async (request, reply) => {
    const { userId, campaignId, entry } = parse(journeyParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return reply.status(202).send(await ops.cancelJourney(campaignId, deps.pseudonymize(userId), entry, reason));
  });

  const resetDoc = {
    summary: 'Resets a failed, timed-out or terminated journey to its last good workflow task',
    params: workflowParams,
    body: reasonBody,
    responses: { ...noWorkflow, 409: 'The journey is running, or has no good point to reset to' },
  };
  app.post('/journeys/:workflowId/reset', route('operate', resetDoc), async (request) => {
    const { workflowId } = parse(workflowParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return ops.resetJourney(workflowId, reason);
  });
}
