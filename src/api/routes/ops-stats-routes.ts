import type { FastifyInstance } from 'fastify';
import type { CampaignStatsOps } from '../../ops/campaign-stats-ops';
import { campaignParams } from '../schemas/ops-schemas';
import { campaignStatsSchema, statsQuery } from '../schemas/stats-schemas';
import { parse } from '../validate';
import type { OpsRoute } from './ops-routes';

/** `GET /v1/ops/campaigns/:campaignId/stats`: the funnel, its breakdown and the experiment, from the daily roll-up. */
export function opsStatsRoutes(app: FastifyInstance, stats: CampaignStatsOps, route: OpsRoute): void {
  const query = statsQuery();
  const doc = {
    summary: "A campaign's funnel, rates, engagement times and experiment results over a range of UTC days",
    description:
      'Counts come from a daily roll-up kept as deliveries, engagement and conversions are written. `groupBy` splits the funnel by day, step, ' +
      'variant or channel (key "" holds journey-level counts). `experiment` compares every arm to the control (the holdout, else the first variant); ' +
      'its `significant` flag is an anytime-valid test, safe to look at every day. Definitions: README, "Campaign metrics".',
    params: campaignParams,
    querystring: query,
    response: campaignStatsSchema,
    responses: { 400: 'A parameter is wrong (named in problems)', 404: 'No such campaign or version' },
  };
  app.get('/campaigns/:campaignId/stats', route('read', doc), async (request) => {
    const { campaignId } = parse(campaignParams, request.params, 'params');
    return stats.stats(campaignId, parse(query, request.query, 'query'));
  });
}
