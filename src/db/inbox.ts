import type { Pool } from 'pg';

export interface NewInboxMessage {
  pseudonym: string;
  deliveryKey: string;
  campaignId: string;
  campaignVersion: number;
  title: string;
  body: string;
}

export interface InboxMessage {
  id: string;
  campaignId: string;
  campaignVersion: number;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

interface InboxRow {
  id: string;
  campaign_id: string;
  campaign_version: number;
  title: string;
  body: string;
  created_at: Date;
  read_at: Date | null;
}

function toMessage(row: InboxRow): InboxMessage {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    campaignVersion: row.campaign_version,
    title: row.title,
    body: row.body,
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at ? row.read_at.toISOString() : null,
  };
}

/** The in-app inbox: one row per delivered message, unique by delivery key. */
export function createInboxRepository(pool: Pool) {
  return {
    /** Inserts the message once; a repeat with the same delivery key returns the first row and `created: false`. */
    async insert(message: NewInboxMessage): Promise<{ id: string; created: boolean }> {
      const inserted = await pool.query<{ id: string }>(
        `INSERT INTO inbox_messages (pseudonym, delivery_key, campaign_id, campaign_version, title, body)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (delivery_key) DO NOTHING
         RETURNING id`,
        [message.pseudonym, message.deliveryKey, message.campaignId, message.campaignVersion, message.title, message.body],
      );
      const row = inserted.rows[0];
      if (row) return { id: row.id, created: true };
      const existing = await pool.query<{ id: string }>('SELECT id FROM inbox_messages WHERE delivery_key = $1', [
        message.deliveryKey,
      ]);
      const first = existing.rows[0];
      if (!first) throw new Error(`inbox message ${message.deliveryKey} conflicted but cannot be found`);
      return { id: first.id, created: false };
    },

    /** Newest first. */
    async list(pseudonym: string, options: { limit: number }): Promise<InboxMessage[]> {
      const result = await pool.query<InboxRow>(
        `SELECT id, campaign_id, campaign_version, title, body, created_at, read_at
         FROM inbox_messages WHERE pseudonym = $1 ORDER BY id DESC LIMIT $2`,
        [pseudonym, options.limit],
      );
      return result.rows.map(toMessage);
    },
  };
}

export type InboxRepository = ReturnType<typeof createInboxRepository>;
