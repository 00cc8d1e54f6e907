import type { Pool, PoolClient } from 'pg';

type Queryable = Pool | PoolClient;

/** An entry as the journey records it when it starts. */
export interface EntryRecord {
  campaignId: string;
  campaignVersion: number;
  pseudonym: string;
  entry: number;
  variant: string;
  heldOut: boolean;
  enteredAt: string;
}

/** How a journey ended: `exitKind` is the reason class the metrics count (exit_event, goal, exit_step, cancelled). */
export interface EntryEnd {
  campaignId: string;
  pseudonym: string;
  entry: number;
  status: 'completed' | 'exited';
  exitKind?: string;
  endedAt: string;
}

/** A goal event that closed an entry's window. */
export interface ConversionRecord {
  campaignId: string;
  campaignVersion: number;
  pseudonym: string;
  entry: number;
  variant: string;
  event: string;
  messageId: string;
  enteredAt: string;
  convertedAt: string;
  /** Absent: last touch. */
  attribution?: 'first_touch' | 'none';
}

export interface RecordedConversion {
  /** False when this entry had converted already (a retried activity, a replayed workflow). */
  inserted: boolean;
  /** The credited message: the entry's last sent message before the conversion (or its first, by the goal's attribution), if any. */
  lastDeliveryKey: string | null;
}

/** Entries with their arm, and conversions: what experiments are measured on. The roll-up triggers count both. */
export function createExperimentRepository(db: Queryable) {
  return {
    /** Once per entry: a retry keeps the first record. */
    async recordEntry(entry: EntryRecord): Promise<void> {
      await db.query(
        `INSERT INTO experiment_entries (campaign_id, campaign_version, pseudonym, entry, variant, held_out, entered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [entry.campaignId, entry.campaignVersion, entry.pseudonym, entry.entry, entry.variant, entry.heldOut, entry.enteredAt],
      );
    },

    /** The first end recorded stands. */
    async recordEnd(end: EntryEnd): Promise<void> {
      await db.query(
        `UPDATE experiment_entries SET end_status = $4, end_reason = $5, ended_at = $6
         WHERE campaign_id = $1 AND pseudonym = $2 AND entry = $3 AND end_status IS NULL`,
        [end.campaignId, end.pseudonym, end.entry, end.status, end.exitKind ?? null, end.endedAt],
      );
    },

    /**
     * Once per entry, with the credited message found in the same statement: the entry's last sent message
     * before `convertedAt` (last touch), its first (first touch), or none. The last_* columns hold the credited one.
     */
    async recordConversion(conversion: ConversionRecord): Promise<RecordedConversion> {
      const attribution = conversion.attribution ?? 'last_touch';
      const result = await db.query<{ last_delivery_key: string | null }>(
        `WITH last AS (
           SELECT delivery_key, step_id, channel FROM deliveries
           WHERE pseudonym = $2 AND campaign_id = $1 AND split_part(delivery_key, ':', 4) = ($3::integer)::text
             AND status = 'sent' AND updated_at <= $9::timestamptz AND $10::text <> 'none'
           ORDER BY CASE WHEN $10::text = 'first_touch' THEN updated_at END ASC, updated_at DESC LIMIT 1)
         INSERT INTO conversions (campaign_id, pseudonym, entry, campaign_version, variant, event, message_id, converted_at,
                                  seconds_from_entry, last_delivery_key, last_step_id, last_channel, attribution)
         SELECT $1, $2, $3::integer, $4::integer, $5, $6, $7, $9::timestamptz, greatest(0, extract(epoch FROM $9::timestamptz - $8::timestamptz)),
                last.delivery_key, last.step_id, last.channel, $10
         FROM (SELECT 1) AS one LEFT JOIN last ON true
         ON CONFLICT DO NOTHING
         RETURNING last_delivery_key`,
        [conversion.campaignId, conversion.pseudonym, conversion.entry, conversion.campaignVersion, conversion.variant,
          conversion.event, conversion.messageId, conversion.enteredAt, conversion.convertedAt, attribution],
      );
      const row = result.rows[0];
      return row ? { inserted: true, lastDeliveryKey: row.last_delivery_key } : { inserted: false, lastDeliveryKey: null };
    },
  };
}

export type ExperimentRepository = ReturnType<typeof createExperimentRepository>;
