import type { FastifyInstance } from 'fastify';
import { CampaignDefinitionError } from '../../domain/campaign/campaign-validation';
import type { CampaignOps } from '../../ops/campaign-ops';
import type { RerunOps } from '../../ops/rerun-ops';
import { ValidationError } from '../errors';
import { campaignParams, campaignTextBody, listCampaignsQuery, reasonBody, rerunBody } from '../schemas/ops-schemas';
import { parse } from '../validate';
import type { OpsRoute } from './ops-routes';

/** Campaign definitions are larger than events. */
const DEFINITION_BODY_LIMIT = 512 * 1024;

/** `/v1/ops/campaigns...`: list, show, validate, publish, pause, resume, cancel, rerun, archive. */
export function opsCampaignRoutes(app: FastifyInstance, ops: CampaignOps, reruns: RerunOps, route: OpsRoute): void {
  const notFound = { 404: 'No campaign with this id' };
  const lifecycle = (summary: string, description: string, body?: typeof reasonBody) =>
    route('operate', { summary, description, params: campaignParams, body, responses: { ...notFound, 409: 'The campaign is in a status this operation does not start from' } });

  const listDoc = { summary: 'The campaigns with their status and current version', querystring: listCampaignsQuery };
  app.get('/campaigns', route('read', listDoc), async (request) => {
    const query = parse(listCampaignsQuery, request.query, 'query');
    return { campaigns: await ops.list(query.archived === 'true') };
  });

  const showDoc = { summary: 'One campaign: its current definition and every version', params: campaignParams, responses: notFound };
  app.get('/campaigns/:campaignId', route('read', showDoc), async (request) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    return ops.show(campaignId);
  });

  const validateDoc = { summary: 'Checks a campaign definition (YAML or JSON text) without publishing it', body: campaignTextBody };
  app.post('/campaigns/validate', { ...route('read', validateDoc), bodyLimit: DEFINITION_BODY_LIMIT }, async (request) => {
    const body = parse(campaignTextBody, request.body);
    return ops.validate(body.text, body.source);
  });

  const publishDoc = {
    summary: 'Publishes a campaign definition as a new version (201), or answers 200 when it equals the current one',
    description: 'Running journeys finish on the version they started with.',
    body: campaignTextBody,
    responses: { 400: 'The definition is invalid: each problem names its path in the text' },
  };
  app.post('/campaigns', { ...route('operate', publishDoc), bodyLimit: DEFINITION_BODY_LIMIT }, async (request, reply) => {
    const body = parse(campaignTextBody, request.body);
    try {
      const published = await ops.publish(body.text, body.source);
      return reply.status(published.created ? 201 : 200).send(published);
    } catch (err) {
      if (err instanceof CampaignDefinitionError) throw new ValidationError(err.problems.map((p) => ({ path: `text${p.path ? `: ${p.path}` : ''}`, reason: p.reason })));
      throw err;
    }
  });

  const pauseDoc = lifecycle('Pauses the campaign: no new entries, and every journey holds before its next message', 'Waits keep running; resume continues the held journeys.');
  app.post('/campaigns/:campaignId/pause', pauseDoc, async (request) => ops.pause(parse(campaignParams, request.params, 'params').campaignId));

  const resumeDoc = lifecycle('Resumes a paused or archived campaign (202): entries again, held journeys go on', 'Answers the batch operation that signals the held journeys.', reasonBody);
  app.post('/campaigns/:campaignId/resume', resumeDoc, async (request, reply) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return reply.status(202).send(await ops.resume(campaignId, reason));
  });

  const cancelDoc = lifecycle('Pauses entries, then cancels every running journey of the campaign (202)', 'Answers the batch operation; `GET /v1/ops/batches/{jobId}` follows it.', reasonBody);
  app.post('/campaigns/:campaignId/cancel', cancelDoc, async (request, reply) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return reply.status(202).send(await ops.cancel(campaignId, reason));
  });

  const rerunDoc = {
    summary: 'Re-runs the campaign for a list of users or the user workflows a visibility query selects',
    description: 'With `dryRun` it only says who (200); otherwise it starts a batch operation (202).',
    params: campaignParams,
    body: rerunBody,
    responses: { 400: 'Neither or both of userIds and query, or a query Temporal refuses', ...notFound, 409: 'The campaign is not active' },
  };
  app.post('/campaigns/:campaignId/rerun', route('operate', rerunDoc), async (request, reply) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    const body = parse(rerunBody, request.body);
    const target = body.userIds ? { userIds: body.userIds } : { query: body.query! };
    const result = await reruns.rerun(campaignId, target, { dryRun: body.dryRun, ...(body.reason && { reason: body.reason }) });
    return reply.status(result.jobId ? 202 : 200).send(result);
  });

  const archiveDoc = lifecycle('Archives the campaign: out of the catalog (resume brings it back), left out of lists unless asked', 'Running journeys finish on their version unless cancelled.');
  app.post('/campaigns/:campaignId/archive', archiveDoc, async (request) => ops.archive(parse(campaignParams, request.params, 'params').campaignId));
}
