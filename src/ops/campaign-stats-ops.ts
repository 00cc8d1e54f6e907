import type { Pool } from 'pg';
import { createCampaignStatsRepository } from '../db/campaign-stats-repository';
import { createDeliveryPolicyRepository } from '../db/delivery-policy-repository';
import { createExperimentDecisionRepository } from '../db/experiment-decision-repository';
import {
  dimensionsOf,
  experimentReport,
  funnelOf,
  groupedFunnels,
  pooledProgrammeUplift,
  programmeUplift,
  type ExperimentReport,
  type Funnel,
  type FunnelGroup,
  type GroupBy,
  type ProgrammeUplift,
} from '../domain/experiments/campaign-metrics';
import { controlArm, experimentArms } from '../domain/experiments/experiment-assignment';
import { CampaignNotFoundError } from './campaign-ops';

/** A version of the campaign that was never published. */
export class CampaignVersionNotFoundError extends Error {
  readonly statusCode = 404;
  constructor(readonly campaignId: string, readonly version: number) {
    super(`campaign "${campaignId}" has no version ${version}; \`beckon campaigns show ${campaignId}\` lists its versions`);
    this.name = 'CampaignVersionNotFoundError';
  }
}

export interface StatsQuery {
  /** UTC days, YYYY-MM-DD, both included. */
  from: string;
  to: string;
  version?: number;
  groupBy: GroupBy;
}

/** The stats API's answer: the one source of the console's figures (its shape is documented in the README). */
export interface CampaignStats {
  campaign: { id: string; name: string; currentVersion: number };
  range: { from: string; to: string; version: number | null };
  funnel: Funnel;
  groupBy: GroupBy;
  groups: FunnelGroup[];
  /** Null for a campaign without an experiment (no holdout, no variants). */
  experiment: ExperimentReport | null;
  /** The policy's global control group against this campaign's treated entrants; null when none of the range is in it. */
  programme: ProgrammeUplift | null;
}

/** The answer of GET /v1/ops/programme/stats: the whole programme against the global control group. */
export interface ProgrammeStats {
  range: { from: string; to: string };
  /** policy.yaml's `globalControl` as it is now (null without one); the figures are those of the entrants recorded in the group. */
  globalControl: { percent: number; categories: string[] | null } | null;
  /** Pooled over `campaigns`, per entry: the group's entries and conversions against the treated ones; null when no campaign has any in the group. */
  programme: ProgrammeUplift | null;
  /** Each campaign with an entrant of the range in the group, with its own uplift (the same as its stats' `programme`). */
  campaigns: { id: string; name: string; category: string; programme: ProgrammeUplift }[];
}

/** A campaign's metrics and experiment from the daily roll-up, summed in SQL. */
export function createCampaignStatsOps(deps: { pool: Pool; now?: () => number }) {
  const stats = createCampaignStatsRepository(deps.pool);
  const decisions = createExperimentDecisionRepository(deps.pool);
  const policies = createDeliveryPolicyRepository(deps.pool);
  const now = deps.now ?? Date.now;
  return {
    async stats(campaignId: string, query: StatsQuery): Promise<CampaignStats> {
      const campaign = await stats.campaign(campaignId, query.version);
      if (!campaign) throw new CampaignNotFoundError(campaignId);
      if (query.version !== undefined && !campaign.compiled) throw new CampaignVersionNotFoundError(campaignId, query.version);
      // Summed by Postgres per group and per arm (a few hundred rows), then read exactly as the daily rows would be.
      const summed = await stats.sums(campaignId, query.from, query.to, dimensionsOf(query.groupBy), query.version);
      const compiled = campaign.compiled;
      const control = compiled && controlArm(compiled);
      let experiment: ExperimentReport | null = null;
      if (compiled && control) {
        const firstEntry = compiled.winner?.afterMs !== undefined ? await stats.firstEntryAt(campaignId, compiled.version) : undefined;
        experiment = experimentReport(summed.arms, experimentArms(compiled), control, {
          ...(compiled.winner && { winner: compiled.winner }),
          ...(firstEntry && { firstEntryAt: firstEntry.getTime() }),
          now: now(),
        });
        if (experiment.winner && compiled.winner?.auto) {
          const decision = await decisions.decision(campaignId, compiled.version);
          experiment.winner.decision = decision ? { variant: decision.variant, decidedAt: decision.decidedAt, reason: decision.reason, figures: decision.figures } : null;
        }
      }
      return {
        campaign: { id: campaignId, name: campaign.name, currentVersion: campaign.currentVersion },
        range: { from: query.from, to: query.to, version: query.version ?? null },
        // The arms' rows sum the same range as the groups' (a hundred rows where a year per day has thousands).
        funnel: funnelOf(summed.arms),
        groupBy: query.groupBy,
        groups: groupedFunnels(summed.groups, query.groupBy),
        experiment,
        // The arms' journey-level sums (step ''): the global control group against the treated entrants.
        programme: programmeUplift(summed.arms),
      };
    },

    /** The programme's uplift over a range: each covered campaign's, and all of them pooled. */
    async programme(range: { from: string; to: string }): Promise<ProgrammeStats> {
      const [arms, policy] = await Promise.all([stats.programmeArms(range.from, range.to), policies.load()]);
      const campaigns = arms.flatMap(({ id, name, category, rows }) => {
        const programme = programmeUplift(rows);
        return programme ? [{ id, name, category, programme }] : [];
      });
      const globalControl = policy?.globalControl;
      return {
        range: { from: range.from, to: range.to },
        globalControl: globalControl ? { percent: globalControl.percent, categories: globalControl.categories ?? null } : null,
        programme: pooledProgrammeUplift(campaigns.map((campaign) => campaign.programme)),
        campaigns,
      };
    },
  };
}

export type CampaignStatsOps = ReturnType<typeof createCampaignStatsOps>;
