import type { FastifyInstance } from 'fastify';
import type { UserOps } from '../../ops/user-ops';
import type { ApiDeps } from '../deps';
import { journeyParams, reasonBody, userParams, workflowParams } from '../schemas/ops-schemas';
import { parse } from '../validate';
import type { OpsRoute } from './ops-routes';

/** `/v1/ops/users/:userId...` and `/v1/ops/journeys/:workflowId/reset`: one user's journeys and state. */
export function opsUserRoutes(app: FastifyInstance, deps: ApiDeps, ops: UserOps, route: OpsRoute): void {
  const noWorkflow = { 404: 'No such workflow: the user sent no event yet, or the journey does not exist' };
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
