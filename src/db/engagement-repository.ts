import type { Queryable } from './queryable';
import type { DeliveryRef } from '../domain/engagement';
import type { TrackedEvent } from '../domain/events';

export interface PendingEngagement {
  pseudonym: string;
  event: TrackedEvent;
}

/**
 * Opens and clicks, one row per deterministic messageId: written before the user workflow hears of
 * them (so Temporal being down loses none), and counted by statistics.
 */
export function createEngagementRepository(db: Queryable) {
  return {
    /** Keeps the event once; `inserted` is true only for the first report of it, `signalled` once a workflow has it. */
    async record(ref: DeliveryRef, deliveryKey: string, channel: string, event: TrackedEvent): Promise<{ inserted: boolean; signalled: boolean }> {
      const result = await db.query<{ inserted: boolean; signalled: boolean }>(
        `INSERT INTO engagement_events
           (message_id, pseudonym, event, delivery_key, campaign_id, campaign_version, step_id, channel, payload, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (message_id) DO UPDATE SET message_id = EXCLUDED.message_id
         RETURNING (xmax = 0) AS inserted, signalled_at IS NOT NULL AS signalled`,
        [event.messageId, ref.pseudonym, event.event, deliveryKey, ref.campaignId, ref.campaignVersion, ref.stepId, channel, event, event.timestamp],
      );
      const row = result.rows[0];
      return { inserted: row?.inserted ?? false, signalled: row?.signalled ?? false };
    },

    async markSignalled(messageId: string): Promise<void> {
      await db.query('UPDATE engagement_events SET signalled_at = now() WHERE message_id = $1 AND signalled_at IS NULL', [messageId]);
    },

    /** Oldest first: events recorded at least `olderThanMs` ago that no workflow has heard of yet. */
    async pending(limit: number, olderThanMs: number): Promise<PendingEngagement[]> {
      const result = await db.query<{ pseudonym: string; payload: TrackedEvent }>(
        `SELECT pseudonym, payload FROM engagement_events
         WHERE signalled_at IS NULL AND occurred_at <= now() - make_interval(secs => $2::double precision / 1000)
         ORDER BY occurred_at LIMIT $1`,
        [limit, olderThanMs],
      );
      return result.rows.map((row) => ({ pseudonym: row.pseudonym, event: row.payload }));
    },

    /** Per event name, how many distinct engagements a campaign step had: what statistics count. */
    async counts(campaignId: string): Promise<{ campaignVersion: number; stepId: string; event: string; count: number }[]> {
      const result = await db.query<{ campaign_version: number; step_id: string; event: string; count: string }>(
        `SELECT campaign_version, step_id, event, count(*) AS count FROM engagement_events
         WHERE campaign_id = $1 GROUP BY campaign_version, step_id, event ORDER BY campaign_version, step_id, event`,
        [campaignId],
      );
      return result.rows.map((row) => ({ campaignVersion: row.campaign_version, stepId: row.step_id, event: row.event, count: Number(row.count) }));
    },
  };
}

export type EngagementRepository = ReturnType<typeof createEngagementRepository>;
