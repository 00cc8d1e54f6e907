import type { Pool, PoolClient } from 'pg';
import type { Campaign } from '../domain/campaign/campaign-model';
import type { DeliveryRef } from '../domain/engagement';
import type { StatsRow } from '../domain/experiments/campaign-metrics';

type Queryable = Pool | PoolClient;

/**
 * The daily roll-up the triggers of migration 8 keep (campaign_daily_stats): reading a campaign's
 * figures sums at most (days x steps x variants x channels x metrics) rows, whatever the raw tables hold.
 */
export function createCampaignStatsRepository(db: Queryable) {
  return {
    /** Summed per version, day, step, variant, channel and metric, for UTC days from `fromDay` to `toDay` inclusive. */
    async rows(campaignId: string, fromDay: string, toDay: string, version?: number): Promise<StatsRow[]> {
      const result = await db.query<{ campaign_version: number; day: string; step_id: string; variant: string; channel: string; metric: string; count: string }>(
        `SELECT campaign_version, to_char(day, 'YYYY-MM-DD') AS day, step_id, variant, channel, metric, count
         FROM campaign_daily_stats
         WHERE campaign_id = $1 AND day BETWEEN $2::date AND $3::date AND ($4::integer IS NULL OR campaign_version = $4)`,
        [campaignId, fromDay, toDay, version ?? null],
      );
      return result.rows.map((row) => ({
        version: row.campaign_version,
        day: row.day,
        step: row.step_id,
        variant: row.variant,
        channel: row.channel,
        metric: row.metric,
        count: Number(row.count),
      }));
    },

    /** The campaign's name, current version and the compiled version asked for (the current one by default); undefined for no campaign. */
    async campaign(campaignId: string, version?: number): Promise<{ name: string; currentVersion: number; compiled: Campaign | undefined } | undefined> {
      const result = await db.query<{ name: string; current_version: number; compiled: Campaign | null }>(
        `SELECT c.name, c.current_version, v.compiled FROM campaigns c
         LEFT JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = coalesce($2::integer, c.current_version)
         WHERE c.id = $1`,
        [campaignId, version ?? null],
      );
      const row = result.rows[0];
      return row && { name: row.name, currentVersion: row.current_version, compiled: row.compiled ?? undefined };
    },

    /** When the campaign's first recorded entry happened (for a winner rule by time). */
    async firstEntryAt(campaignId: string): Promise<Date | undefined> {
      const result = await db.query<{ first: Date | null }>('SELECT min(entered_at) AS first FROM experiment_entries WHERE campaign_id = $1', [campaignId]);
      return result.rows[0]?.first ?? undefined;
    },

    /** A one-click unsubscribe from a message, counted once per message. */
    async recordUnsubscribe(ref: DeliveryRef, deliveryKey: string, channel: string): Promise<void> {
      await db.query(
        `INSERT INTO message_unsubscribes (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [deliveryKey, ref.pseudonym, ref.campaignId, ref.campaignVersion, ref.stepId, channel],
      );
    },
  };
}

export type CampaignStatsRepository = ReturnType<typeof createCampaignStatsRepository>;
