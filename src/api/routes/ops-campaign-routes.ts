import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { CampaignDefinitionError } from '../../domain/campaign/campaign-validation';
import type { CampaignOps } from '../../ops/campaign-ops';
import type { RerunOps } from '../../ops/rerun-ops';
import type { AdminScope } from '../../privacy/admin-token';
import { ValidationError } from '../errors';
import { campaignParams, campaignTextBody, listCampaignsQuery, reasonBody, rerunBody } from '../schemas/ops-schemas';
import { parse } from '../validate';

/** Campaign definitions are larger than events. */
const DEFINITION_BODY_LIMIT = 512 * 1024;

/** `/v1/ops/campaigns...`: list, show, validate, publish, pause, resume, cancel, rerun, archive. */
export function opsCampaignRoutes(app: FastifyInstance, ops: CampaignOps, reruns: RerunOps, guard: (needed: AdminScope) => RouteShorthandOptions): void {
  const read = guard('read');
  const operate = guard('operate');

  app.get('/campaigns', read, async (request) => {
    const query = parse(listCampaignsQuery, request.query, 'query');
    return { campaigns: await ops.list(query.archived === 'true') };
  });

  app.get('/campaigns/:campaignId', read, async (request) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    return ops.show(campaignId);
  });

  app.post('/campaigns/validate', { ...read, bodyLimit: DEFINITION_BODY_LIMIT }, async (request) => {
    const body = parse(campaignTextBody, request.body);
    return ops.validate(body.text, body.source);
  });

  app.post('/campaigns', { ...operate, bodyLimit: DEFINITION_BODY_LIMIT }, async (request, reply) => {
    const body = parse(campaignTextBody, request.body);
    try {
      const published = await ops.publish(body.text, body.source);
      return reply.status(published.created ? 201 : 200).send(published);
    } catch (err) {
      if (err instanceof CampaignDefinitionError) throw new ValidationError(err.problems.map((p) => ({ path: `text${p.path ? `: ${p.path}` : ''}`, reason: p.reason })));
      throw err;
    }
  });

  app.post('/campaigns/:campaignId/pause', operate, async (request) => ops.pause(parse(campaignParams, request.params, 'params').campaignId));

  app.post('/campaigns/:campaignId/resume', operate, async (request, reply) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return reply.status(202).send(await ops.resume(campaignId, reason));
  });

  app.post('/campaigns/:campaignId/cancel', operate, async (request, reply) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    const { reason } = parse(reasonBody, request.body ?? {});
    return reply.status(202).send(await ops.cancel(campaignId, reason));
  });

  app.post('/campaigns/:campaignId/rerun', operate, async (request, reply) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    const body = parse(rerunBody, request.body);
    const target = body.userIds ? { userIds: body.userIds } : { query: body.query! };
    const result = await reruns.rerun(campaignId, target, { dryRun: body.dryRun, ...(body.reason && { reason: body.reason }) });
    return reply.status(result.jobId ? 202 : 200).send(result);
  });

  app.post('/campaigns/:campaignId/archive', operate, async (request) => ops.archive(parse(campaignParams, request.params, 'params').campaignId));
}
