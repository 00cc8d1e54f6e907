import type { Pool } from 'pg';
import { createExperimentDecisionRepository, type DecisionFigures } from '../db/experiment-decision-repository';
import { createMessageSessionRepository } from '../db/message-session-repository';
import { createCampaignStatsRepository } from '../db/campaign-stats-repository';
import type { Campaign } from '../domain/campaign/campaign-model';
import { experimentReport, type ExperimentReport, type StatsRow } from '../domain/experiments/campaign-metrics';
import { controlArm, experimentArms } from '../domain/experiments/experiment-assignment';

/** A winner recorded by one round of the loop. */
export interface WinnerDecided {
  campaignId: string;
  version: number;
  variant: string;
  reason: string;
}

/** The figures a decision keeps: the experiment table, compact. */
function figuresOf(report: ExperimentReport): DecisionFigures {
  return {
    control: report.control,
    arms: report.arms.map((arm) => ({
      variant: arm.variant,
      entered: arm.entered,
      converted: arm.converted,
      rate: arm.rate,
      sequentialPValue: arm.vsControl?.sequential.pValue ?? null,
      verdict: arm.vsControl?.verdict ?? null,
    })),
  };
}

/**
 * What the periodic loop does for experiments: applies auto winner rules (once the rule is met and the
 * anytime-valid test finds a variant better than the control, the decision is recorded and later entrants
 * follow it) and settles the engaged sessions that follow messages. Every step is idempotent across replicas.
 */
export function createExperimentOutcomeOps(deps: { pool: Pool; now?: () => number }) {
  const decisions = createExperimentDecisionRepository(deps.pool);
  const sessions = createMessageSessionRepository(deps.pool);
  const stats = createCampaignStatsRepository(deps.pool);
  const now = deps.now ?? Date.now;

  /** The version's experiment table on all its entrants, as the stats API computes it. */
  async function reportOf(campaign: Campaign, control: string): Promise<ExperimentReport> {
    const counts = await decisions.armCounts(campaign.id, campaign.version);
    // Read only for a rule by time, as the stats API does: a rule by samples never looks at it.
    const firstEntryAt = campaign.winner?.afterMs !== undefined ? await stats.firstEntryAt(campaign.id, campaign.version) : undefined;
    const rows: StatsRow[] = counts.flatMap(({ variant, entered, converted }) => [
      { version: campaign.version, day: '', step: '', variant, channel: '', metric: 'entered', count: entered },
      { version: campaign.version, day: '', step: '', variant, channel: '', metric: 'converted', count: converted },
    ]);
    return experimentReport(rows, experimentArms(campaign), control, {
      ...(campaign.winner && { winner: campaign.winner }),
      ...(firstEntryAt && { firstEntryAt: firstEntryAt.getTime() }),
      now: now(),
    });
  }

  return {
    /** Decides every auto winner rule that is met and significant; returns the decisions this round recorded. */
    async decideWinners(): Promise<WinnerDecided[]> {
      const decided: WinnerDecided[] = [];
      for (const campaign of await decisions.undecided()) {
        const control = controlArm(campaign);
        if (!control) continue;
        const report = await reportOf(campaign, control);
        const winner = report.winner?.winner;
        if (!winner || !report.winner) continue;
        const recorded = await decisions.decide({
          campaignId: campaign.id,
          campaignVersion: campaign.version,
          variant: winner,
          decidedAt: new Date(now()),
          reason: report.winner.reason,
          figures: figuresOf(report),
        });
        if (recorded) decided.push({ campaignId: campaign.id, version: campaign.version, variant: winner, reason: report.winner.reason });
      }
      return decided;
    },

    /** Settles the sessions after messages that are over; returns how many. */
    async settleSessions(): Promise<number> {
      return sessions.settle(new Date(now()));
    },
  };
}

export type ExperimentOutcomeOps = ReturnType<typeof createExperimentOutcomeOps>;
