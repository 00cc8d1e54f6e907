import type { Queryable } from './queryable';

/** Every row Beckon holds about one person, as plain JSON (the right of access). */
export function createUserExportRepository(db: Queryable) {
  const rows = async (sql: string, params: unknown[]) => (await db.query<Record<string, unknown>>(sql, params)).rows;
  return {
    async export(pseudonym: string): Promise<Record<string, unknown>> {
      const visitors = (await rows('SELECT anonymous_pseudonym, created_at FROM aliases WHERE user_pseudonym = $1 ORDER BY created_at', [pseudonym])) as {
        anonymous_pseudonym: string;
      }[];
      const all = [pseudonym, ...visitors.map((v) => v.anonymous_pseudonym)];
      const [profile] = await rows('SELECT user_id, traits, email, phone, timezone, locale, created_at, last_seen_at, updated_at FROM users WHERE pseudonym = $1', [pseudonym]);
      return {
        profile: profile ?? null,
        linkedVisitors: visitors,
        pushTokens: await rows('SELECT token, platform, created_at, last_seen_at FROM push_tokens WHERE pseudonym = ANY($1::text[]) ORDER BY created_at', [all]),
        consents: await rows('SELECT channel, category, granted, source, changed_at FROM consents WHERE pseudonym = $1 ORDER BY channel, category', [pseudonym]),
        consentHistory: await rows('SELECT channel, category, granted, source, changed_at FROM consent_changes WHERE pseudonym = $1 ORDER BY id', [pseudonym]),
        inbox: await rows(
          `SELECT id, campaign_id, campaign_version, title, body, action_url, created_at, seen_at, read_at, clicked_at, dismissed_at
           FROM inbox_messages WHERE pseudonym = ANY($1::text[]) ORDER BY id`,
          [all],
        ),
        deliveries: await rows(
          `SELECT campaign_id, campaign_version, step_id, channel, category, status, reason, detail, attempts, local_day, created_at, updated_at
           FROM deliveries WHERE pseudonym = ANY($1::text[]) ORDER BY created_at`,
          [all],
        ),
        engagement: await rows(
          'SELECT event, campaign_id, campaign_version, step_id, channel, payload, occurred_at FROM engagement_events WHERE pseudonym = ANY($1::text[]) ORDER BY occurred_at',
          [all],
        ),
        experimentEntries: await rows(
          `SELECT campaign_id, campaign_version, entry, variant, held_out, entered_at, end_status, end_reason, ended_at
           FROM experiment_entries WHERE pseudonym = ANY($1::text[]) ORDER BY entered_at, campaign_id, entry`,
          [all],
        ),
        conversions: await rows(
          `SELECT campaign_id, campaign_version, entry, variant, event, message_id, converted_at, seconds_from_entry, last_step_id, last_channel, recorded_at
           FROM conversions WHERE pseudonym = ANY($1::text[]) ORDER BY converted_at, campaign_id, entry`,
          [all],
        ),
        engagedSessions: await rows(
          `SELECT campaign_id, campaign_version, step_id, channel, sent_at, started_at, ended_at, engaged_seconds
           FROM message_sessions WHERE pseudonym = ANY($1::text[]) ORDER BY sent_at`,
          [all],
        ),
        unsubscribes: await rows(
          'SELECT campaign_id, campaign_version, step_id, channel, unsubscribed_at FROM message_unsubscribes WHERE pseudonym = ANY($1::text[]) ORDER BY unsubscribed_at',
          [all],
        ),
        groups: await rows(
          `SELECT m.group_id, g.traits, m.joined_at FROM segment_group_members m JOIN segment_groups g USING (group_id)
           WHERE m.pseudonym = ANY($1::text[]) ORDER BY m.joined_at`,
          [all],
        ),
        ingestedMessages: await rows('SELECT source_id, message_id, received_at, accepted_at FROM ingested_messages WHERE pseudonym = ANY($1::text[]) ORDER BY received_at', [all]),
        erasures: await rows('SELECT id, requested_by, requested_at, completed_at, removed FROM erasures WHERE pseudonym = $1 ORDER BY requested_at', [pseudonym]),
        suppressed: (await rows('SELECT 1 FROM suppressions WHERE pseudonym = $1 AND lifted_at IS NULL', [pseudonym])).length > 0,
      };
    },
  };
}
