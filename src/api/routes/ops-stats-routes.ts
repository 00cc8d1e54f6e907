import type { FastifyInstance } from 'fastify';
import type { CampaignStatsOps } from '../../ops/campaign-stats-ops';
import { campaignParams } from '../schemas/ops-schemas';
import { campaignStatsSchema, programmeQuery, programmeStatsSchema, statsQuery } from '../schemas/stats-schemas';
import { parse } from '../validate';
import type { OpsRoute } from './ops-routes';

/**
 * `GET /v1/ops/campaigns/:campaignId/stats`: the funnel, its breakdown and the experiment, from the daily roll-up;
 * `GET /v1/ops/programme/stats`: the global control group against every campaign it covers.
 */
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

  const range = programmeQuery();
  const programmeDoc = {
    summary: "The whole programme's uplift: the global control group against the treated entrants of every campaign it covers",
    description:
      'For each campaign with an entrant of the range in the global control group (policy.yaml `globalControl`), its treated entrants against the group, ' +
      'and all of them pooled per entry (a user who entered two campaigns counts twice). The same statistics as a campaign\'s experiment; ' +
      '`programme` is null and `campaigns` empty when no entrant is in the group. Definitions: README, "The global control group".',
    querystring: range,
    response: programmeStatsSchema,
    responses: { 400: 'A parameter is wrong (named in problems)' },
  };
  app.get('/programme/stats', route('read', programmeDoc), async (request) => stats.programme(parse(range, request.query, 'query')));
}
