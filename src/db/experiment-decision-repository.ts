import type { Campaign } from '../domain/campaign/campaign-model';
import type { Queryable } from './queryable';
import { withTransaction } from './transaction';

/** The auto winner rule's decision for one campaign version, with the figures it was taken on. */
export interface ExperimentDecision {
  campaignId: string;
  campaignVersion: number;
  variant: string;
  decidedAt: string;
  reason: string;
  figures: DecisionFigures;
}

/** The experiment table as it stood when the winner was decided. */
export interface DecisionFigures {
  control: string;
  arms: { variant: string; entered: number; converted: number; rate: number; sequentialPValue: number | null; verdict: string | null }[];
}

/** Decisions of auto winner rules, and what the periodic loop needs to take them. */
export function createExperimentDecisionRepository(db: Queryable) {
  return {
    /** Active campaigns whose current version has an auto winner rule and no decision yet. */
    async undecided(): Promise<Campaign[]> {
      const result = await db.query<{ compiled: Campaign }>(
        `SELECT v.compiled FROM campaigns c
         JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.current_version
         WHERE c.status = 'active' AND (v.compiled -> 'winner' ->> 'auto')::boolean
           AND NOT EXISTS (SELECT 1 FROM experiment_decisions d WHERE d.campaign_id = c.id AND d.campaign_version = v.version)
         ORDER BY c.id`,
      );
      return result.rows.map((row) => row.compiled);
    },

    /** One version's journey-level entrants and conversions per arm, from the daily roll-up. */
    async armCounts(campaignId: string, version: number): Promise<{ variant: string; entered: number; converted: number }[]> {
      const counts = await db.query<{ variant: string; entered: string; converted: string }>(
        `SELECT variant, sum(count) FILTER (WHERE metric = 'entered') AS entered, sum(count) FILTER (WHERE metric = 'converted') AS converted
         FROM campaign_daily_stats
         WHERE campaign_id = $1 AND campaign_version = $2 AND step_id = '' AND metric IN ('entered', 'converted')
         GROUP BY variant`,
        [campaignId, version],
      );
      return counts.rows.map((row) => ({ variant: row.variant, entered: Number(row.entered ?? 0), converted: Number(row.converted ?? 0) }));
    },

    /**
     * Records the decision once per version and, in the same transaction, bumps the catalog revision so
     * user workflows reload the catalog and later journeys carry the winner. False if one was recorded already.
     */
    async decide(decision: Omit<ExperimentDecision, 'decidedAt'> & { decidedAt: Date }): Promise<boolean> {
      return withTransaction(db, async (client) => {
        const inserted = await client.query(
          `INSERT INTO experiment_decisions (campaign_id, campaign_version, variant, decided_at, reason, figures)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [decision.campaignId, decision.campaignVersion, decision.variant, decision.decidedAt, decision.reason, JSON.stringify(decision.figures)],
        );
        if ((inserted.rowCount ?? 0) === 0) return false;
        await client.query('UPDATE campaign_catalog SET revision = revision + 1 WHERE singleton');
        return true;
      });
    },

    /** The decision of one version, if any. */
    async decision(campaignId: string, version: number): Promise<ExperimentDecision | undefined> {
      const result = await db.query<{ variant: string; decided_at: Date; reason: string; figures: DecisionFigures }>(
        'SELECT variant, decided_at, reason, figures FROM experiment_decisions WHERE campaign_id = $1 AND campaign_version = $2',
        [campaignId, version],
      );
      const row = result.rows[0];
      return row && { campaignId, campaignVersion: version, variant: row.variant, decidedAt: row.decided_at.toISOString(), reason: row.reason, figures: row.figures };
    },
  };
}

export type ExperimentDecisionRepository = ReturnType<typeof createExperimentDecisionRepository>;
