import type { Queryable } from './queryable';

/**
 * reserved: the checks passed and the message counts against the caps; nothing has left yet.
 * sending: an attempt is handing it to the provider now; a retry that finds this cannot know whether it left.
 * sent / failed / skipped: final. unknown: an attempt stopped while sending (see README, "Delivery guarantees").
 */
export type DeliveryStatus = 'reserved' | 'sending' | 'sent' | 'failed' | 'skipped' | 'unknown';

export interface DeliveryRecord {
  deliveryKey: string;
  pseudonym: string;
  campaignId: string;
  campaignVersion: number;
  stepId: string;
  channel: string;
  category: string;
  status: DeliveryStatus;
  reason: string | null;
  detail: string | null;
  providerId: string | null;
  attempts: number;
  localDay: string | null;
  countsTowardCap: boolean;
  createdAt: string;
  updatedAt: string;
}

export type NewDelivery = Pick<DeliveryRecord, 'deliveryKey' | 'pseudonym' | 'campaignId' | 'campaignVersion' | 'stepId' | 'channel' | 'category'>;

export interface DeliveryRow {
  delivery_key: string;
  pseudonym: string;
  campaign_id: string;
  campaign_version: number;
  step_id: string;
  channel: string;
  category: string;
  status: DeliveryStatus;
  reason: string | null;
  detail: string | null;
  provider_id: string | null;
  attempts: number;
  local_day: string | null;
  counts_toward_cap: boolean;
  created_at: Date;
  updated_at: Date;
}

export const deliveryRecordOf = (row: DeliveryRow): DeliveryRecord => ({
  deliveryKey: row.delivery_key,
  pseudonym: row.pseudonym,
  campaignId: row.campaign_id,
  campaignVersion: row.campaign_version,
  stepId: row.step_id,
  channel: row.channel,
  category: row.category,
  status: row.status,
  reason: row.reason,
  detail: row.detail,
  providerId: row.provider_id,
  attempts: row.attempts,
  localDay: row.local_day,
  countsTowardCap: row.counts_toward_cap,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Statuses that hold a place under the caps: everything that may have reached, or is about to reach, the user. */
export const COUNTED_STATUSES = ['reserved', 'sending', 'sent', 'unknown'];

const INSERT = `INSERT INTO deliveries (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel, category, status, reason, detail, local_day, counts_toward_cap)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`;

/** A delivery decided and delivered in one transaction (the in-app inbox): its final record, written once. */
const INSERT_FINAL = `INSERT INTO deliveries (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel, category, status, reason, detail, local_day, counts_toward_cap, provider_id, attempts)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) RETURNING *`;

const params = (d: NewDelivery) => [d.deliveryKey, d.pseudonym, d.campaignId, d.campaignVersion, d.stepId, d.channel, d.category];

/** Updates one delivery if it is in one of the `from` statuses; undefined when it is not (another attempt moved it). */
async function transition(db: Queryable, key: string, from: DeliveryStatus[], set: string, values: unknown[]): Promise<DeliveryRecord | undefined> {
  const result = await db.query<DeliveryRow>(
    `UPDATE deliveries SET ${set}, updated_at = now() WHERE delivery_key = $1 AND status = ANY($2) RETURNING *`,
    [key, from, ...values],
  );
  const row = result.rows[0];
  return row && deliveryRecordOf(row);
}

/**
 * The deliveries table: the send path's memory of every message step, and what the caps count.
 * `reserve`, `recordSkip`, `recordSent` and `recordFailed` belong in the send path's transaction (over its client), after
 * send-decision-repository's lock.
 */
export function createDeliveryRepository(db: Queryable) {
  return {
    async find(deliveryKey: string): Promise<DeliveryRecord | undefined> {
      const result = await db.query<DeliveryRow>('SELECT * FROM deliveries WHERE delivery_key = $1', [deliveryKey]);
      const row = result.rows[0];
      return row && deliveryRecordOf(row);
    },

    async reserve(delivery: NewDelivery, localDay: string, countsTowardCap: boolean): Promise<DeliveryRecord> {
      const result = await db.query<DeliveryRow>(INSERT, [...params(delivery), 'reserved', null, null, localDay, countsTowardCap]);
      return deliveryRecordOf(result.rows[0]!);
    },

    async recordSkip(delivery: NewDelivery, reason: string, detail: string): Promise<DeliveryRecord> {
      const result = await db.query<DeliveryRow>(INSERT, [...params(delivery), 'skipped', reason, detail, null, false]);
      return deliveryRecordOf(result.rows[0]!);
    },

    /** Sent in the decision's own transaction (the inbox row is the delivery): reserved, claimed and sent at once. */
    async recordSent(delivery: NewDelivery, localDay: string, countsTowardCap: boolean, providerId: string): Promise<DeliveryRecord> {
      const result = await db.query<DeliveryRow>(INSERT_FINAL, [...params(delivery), 'sent', null, null, localDay, countsTowardCap, providerId]);
      return deliveryRecordOf(result.rows[0]!);
    },

    /** Refused for good in the decision's own transaction (a template the user's data cannot fill): nothing reached the user. */
    async recordFailed(delivery: NewDelivery, localDay: string, reason: string, detail: string): Promise<DeliveryRecord> {
      const result = await db.query<DeliveryRow>(INSERT_FINAL, [...params(delivery), 'failed', reason, detail, localDay, false, null]);
      return deliveryRecordOf(result.rows[0]!);
    },

    /** reserved -> sending, once: of two attempts racing, one wins. */
    claim(key: string): Promise<DeliveryRecord | undefined> {
      return transition(db, key, ['reserved'], 'status = $3, attempts = attempts + 1', ['sending']);
    },

    /** An attempt that stopped mid-send may still finish after a retry wrote `unknown`: the provider's answer is better knowledge. */
    markSent(key: string, providerId: string): Promise<DeliveryRecord | undefined> {
      return transition(db, key, ['sending', 'unknown'], `status = 'sent', provider_id = $3, reason = NULL, detail = NULL`, [providerId]);
    },

    markFailed(key: string, reason: string, detail: string): Promise<DeliveryRecord | undefined> {
      return transition(db, key, ['sending'], `status = 'failed', reason = $3, detail = $4`, [reason, detail]);
    },

    /** The provider said no for now (nothing left): the next attempt may send. */
    release(key: string, detail: string): Promise<DeliveryRecord | undefined> {
      return transition(db, key, ['sending'], `status = 'reserved', detail = $3`, [detail]);
    },

    markUnknown(key: string, detail: string): Promise<DeliveryRecord | undefined> {
      return transition(db, key, ['sending'], `status = 'unknown', reason = 'interrupted', detail = $3`, [detail]);
    },

    /** A retry of a channel whose provider drops repeats takes the delivery back for another send. */
    reclaim(key: string): Promise<DeliveryRecord | undefined> {
      return transition(db, key, ['sending'], 'attempts = attempts + 1', []);
    },

    async forUser(pseudonym: string): Promise<DeliveryRecord[]> {
      const result = await db.query<DeliveryRow>('SELECT * FROM deliveries WHERE pseudonym = $1 ORDER BY created_at, delivery_key', [pseudonym]);
      return result.rows.map(deliveryRecordOf);
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;
