import type { Pool } from 'pg';
import { createCampaignStatsRepository } from '../db/campaign-stats-repository';
import { createExperimentDecisionRepository } from '../db/experiment-decision-repository';
import {
  dimensionsOf,
  experimentReport,
  funnelOf,
  groupedFunnels,
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

/** A campaign's metrics and experiment from the daily roll-up, summed in SQL. */
export function createCampaignStatsOps(deps: { pool: Pool; now?: () => number }) {
  const stats = createCampaignStatsRepository(deps.pool);
  const decisions = createExperimentDecisionRepository(deps.pool);
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
  };
}

export type CampaignStatsOps = ReturnType<typeof createCampaignStatsOps>;
