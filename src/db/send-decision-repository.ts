import type { CampaignStatus } from '../workflows/messages';
import type { ConsentRecord } from './consent-repository';
import { COUNTED_STATUSES, deliveryRecordOf, type DeliveryRecord, type DeliveryRow } from './delivery-repository';
import type { ContactPoints } from './profile-repository';
import type { Queryable } from './queryable';

/** What the send path decides on, read under the user's lock. */
export interface SendFacts {
  /** Undefined when the campaign is not in the table. */
  campaignStatus: CampaignStatus | undefined;
  /** An earlier attempt's record of this delivery key: its decision stands. */
  earlier: DeliveryRecord | undefined;
  consents: ConsentRecord[];
  pushTokens: ContactPoints['pushTokens'];
  /** Messages holding a place under the caps on the local day: across campaigns (counted ones) and from this campaign (all). */
  counts: { today: number; campaignToday: number };
}

interface FactsRow {
  campaign_status: CampaignStatus | null;
  earlier: (Omit<DeliveryRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string }) | null;
  consents: { channel: string; category: string; granted: boolean; source: string; changed_at: string }[];
  push_tokens: { token: string; platform: string | null }[];
  today: string;
  campaign_today: string;
}

/**
 * The send path's decision in two statements inside its transaction (over its client), where it
 * took nine: the user's row lock with the profile, then everything else in one read. Two, not one:
 * under READ COMMITTED a statement reads a snapshot taken when it began, so the caps' counts must be
 * read by a statement that begins after the lock is held, or a send waiting for the lock would not
 * see what the send holding it recorded.
 */
export function createSendDecisionRepository(db: Queryable) {
  return {
    /** Takes the user's row lock for the rest of the transaction and reads the profile; undefined when the user has none. */
    async lockProfile(pseudonym: string): Promise<Omit<ContactPoints, 'pushTokens'> | undefined> {
      const result = await db.query<Omit<ContactPoints, 'pushTokens'>>(
        'SELECT email, phone, timezone, locale, traits FROM users WHERE pseudonym = $1 FOR UPDATE',
        [pseudonym],
      );
      return result.rows[0];
    },

    /** The campaign's status (read now, so a pause committed before this statement holds the send), the earlier record, consents, push tokens and the day's counts. */
    async facts(args: { pseudonym: string; campaignId: string; deliveryKey: string; localDay: string }): Promise<SendFacts> {
      const result = await db.query<FactsRow>(
        `SELECT
           (SELECT status FROM campaigns WHERE id = $2) AS campaign_status,
           (SELECT to_jsonb(d) FROM deliveries d WHERE d.delivery_key = $3) AS earlier,
           (SELECT coalesce(json_agg(json_build_object('channel', c.channel, 'category', c.category, 'granted', c.granted, 'source', c.source, 'changed_at', c.changed_at)
                     ORDER BY c.channel, c.category), '[]')
              FROM consents c WHERE c.pseudonym = $1) AS consents,
           (SELECT coalesce(json_agg(json_build_object('token', t.token, 'platform', t.platform) ORDER BY t.created_at, t.token), '[]')
              FROM push_tokens t WHERE t.pseudonym = $1) AS push_tokens,
           count(*) FILTER (WHERE d.counts_toward_cap) AS today,
           count(*) FILTER (WHERE d.campaign_id = $2) AS campaign_today
         FROM (SELECT 1) one
         LEFT JOIN deliveries d ON d.pseudonym = $1 AND d.local_day = $4 AND d.status = ANY($5)`,
        [args.pseudonym, args.campaignId, args.deliveryKey, args.localDay, COUNTED_STATUSES],
      );
      const row = result.rows[0]!;
      return {
        campaignStatus: row.campaign_status ?? undefined,
        earlier: row.earlier ? deliveryRecordOf({ ...row.earlier, created_at: new Date(row.earlier.created_at), updated_at: new Date(row.earlier.updated_at) }) : undefined,
        consents: row.consents.map((c) => ({ channel: c.channel, category: c.category, granted: c.granted, source: c.source, changedAt: new Date(c.changed_at).toISOString() })),
        pushTokens: row.push_tokens,
        counts: { today: Number(row.today), campaignToday: Number(row.campaign_today) },
      };
    },
  };
}
