import type { Queryable } from './queryable';

/** One message a dev sink caught: mail from the local SMTP server, or a push that was logged instead of sent. */
export interface DevOutboxEntry {
  id: string;
  channel: 'email' | 'push';
  recipients: string[];
  subject: string | null;
  body: Record<string, unknown>;
  receivedAt: string;
}

/** What `npm start`'s dev sinks received, so the seed's sequences can be watched on one machine. */
export function createDevOutboxRepository(db: Queryable) {
  return {
    async add(entry: Pick<DevOutboxEntry, 'channel' | 'recipients' | 'subject' | 'body'>): Promise<void> {
      await db.query('INSERT INTO dev_outbox (channel, recipients, subject, body) VALUES ($1, $2, $3, $4)', [
        entry.channel,
        entry.recipients,
        entry.subject,
        JSON.stringify(entry.body),
      ]);
    },

    /** Newest first. */
    async list(channel: DevOutboxEntry['channel'], limit: number): Promise<DevOutboxEntry[]> {
      const result = await db.query<{ id: string; channel: DevOutboxEntry['channel']; recipients: string[]; subject: string | null; body: Record<string, unknown>; received_at: Date }>(
        'SELECT id, channel, recipients, subject, body, received_at FROM dev_outbox WHERE channel = $1 ORDER BY id DESC LIMIT $2',
        [channel, limit],
      );
      return result.rows.map((row) => ({
        id: row.id,
        channel: row.channel,
        recipients: row.recipients,
        subject: row.subject,
        body: row.body,
        receivedAt: row.received_at.toISOString(),
      }));
    },
  };
}

export type DevOutboxRepository = ReturnType<typeof createDevOutboxRepository>;
