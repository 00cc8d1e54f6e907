import type { Queryable } from './queryable';
import { parseDeliveryKey } from '../domain/engagement';

export interface NewInboxMessage {
  pseudonym: string;
  deliveryKey: string;
  campaignId: string;
  campaignVersion: number;
  title: string;
  body: string;
  /** Where a tap on the message leads (the in-app template's `url`). */
  actionUrl?: string;
}

export interface InboxMessage {
  id: string;
  campaignId: string;
  campaignVersion: number;
  /** The campaign step that sent it, read from the delivery key. */
  stepId: string | null;
  title: string;
  body: string;
  actionUrl: string | null;
  createdAt: string;
  seenAt: string | null;
  readAt: string | null;
  clickedAt: string | null;
  dismissedAt: string | null;
}

/** A message with the delivery it belongs to, for the engagement events that name campaign and step. */
export interface InboxMessageWithKey {
  message: InboxMessage;
  deliveryKey: string;
}

/** What a user did to a message; each sets its time once, so repeating it changes nothing. */
export type InboxAction = 'seen' | 'read' | 'click' | 'dismiss';

interface InboxRow {
  id: string;
  delivery_key: string;
  campaign_id: string;
  campaign_version: number;
  title: string;
  body: string;
  action_url: string | null;
  created_at: Date;
  seen_at: Date | null;
  read_at: Date | null;
  clicked_at: Date | null;
  dismissed_at: Date | null;
}

const COLUMNS = `id, delivery_key, campaign_id, campaign_version, title, body, action_url, created_at, seen_at, read_at, clicked_at, dismissed_at`;

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

function toMessage(row: InboxRow): InboxMessage {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    campaignVersion: row.campaign_version,
    stepId: parseDeliveryKey(row.delivery_key)?.stepId ?? null,
    title: row.title,
    body: row.body,
    actionUrl: row.action_url,
    createdAt: row.created_at.toISOString(),
    seenAt: iso(row.seen_at),
    readAt: iso(row.read_at),
    clickedAt: iso(row.clicked_at),
    dismissedAt: iso(row.dismissed_at),
  };
}

/** Reading implies seeing, clicking implies reading; the first time of each is kept. */
const ACTION_SETS: Record<InboxAction, string> = {
  seen: 'seen_at = COALESCE(seen_at, now())',
  read: 'seen_at = COALESCE(seen_at, now()), read_at = COALESCE(read_at, now())',
  click: 'seen_at = COALESCE(seen_at, now()), read_at = COALESCE(read_at, now()), clicked_at = COALESCE(clicked_at, now())',
  dismiss: 'seen_at = COALESCE(seen_at, now()), dismissed_at = COALESCE(dismissed_at, now())',
};

export interface ListOptions {
  limit: number;
  /** Only messages with an id below this one (the page after a cursor). */
  beforeId?: string;
  unreadOnly?: boolean;
  includeDismissed?: boolean;
}

/** The in-app inbox: one row per delivered message, unique by delivery key. */
export function createInboxRepository(db: Queryable) {
  return {
    /** Inserts the message once; a repeat with the same delivery key returns the first row and `created: false`. */
    async insert(message: NewInboxMessage): Promise<{ id: string; created: boolean }> {
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO inbox_messages (pseudonym, delivery_key, campaign_id, campaign_version, title, body, action_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (delivery_key) DO NOTHING
         RETURNING id`,
        [message.pseudonym, message.deliveryKey, message.campaignId, message.campaignVersion, message.title, message.body, message.actionUrl ?? null],
      );
      const row = inserted.rows[0];
      if (row) return { id: row.id, created: true };
      const existing = await db.query<{ id: string }>('SELECT id FROM inbox_messages WHERE delivery_key = $1', [
        message.deliveryKey,
      ]);
      const first = existing.rows[0];
      if (!first) throw new Error(`inbox message ${message.deliveryKey} conflicted but cannot be found`);
      return { id: first.id, created: false };
    },

    /** Newest first; dismissed messages only when asked for. */
    async list(pseudonym: string, options: ListOptions): Promise<InboxMessage[]> {
      const conditions = ['pseudonym = $1'];
      const params: unknown[] = [pseudonym, options.limit];
      if (options.beforeId !== undefined) {
        params.push(options.beforeId);
        conditions.push(`id < $${params.length}`);
      }
      if (options.unreadOnly) conditions.push('read_at IS NULL');
      if (!options.includeDismissed) conditions.push('dismissed_at IS NULL');
      const result = await db.query<InboxRow>(
        `SELECT ${COLUMNS} FROM inbox_messages WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT $2`,
        params,
      );
      return result.rows.map(toMessage);
    },

    /** Messages neither read nor dismissed. */
    async unreadCount(pseudonym: string): Promise<number> {
      const result = await db.query<{ count: string }>(
        'SELECT count(*) AS count FROM inbox_messages WHERE pseudonym = $1 AND read_at IS NULL AND dismissed_at IS NULL',
        [pseudonym],
      );
      return Number(result.rows[0]?.count ?? 0);
    },

    /** Records the action on the user's message; undefined when the user has no message with that id. */
    async mark(pseudonym: string, id: string, action: InboxAction): Promise<InboxMessageWithKey | undefined> {
      const result = await db.query<InboxRow>(
        `UPDATE inbox_messages SET ${ACTION_SETS[action]} WHERE id = $1 AND pseudonym = $2 RETURNING ${COLUMNS}`,
        [id, pseudonym],
      );
      const row = result.rows[0];
      return row ? { message: toMessage(row), deliveryKey: row.delivery_key } : undefined;
    },

    /**
     * Oldest first: messages above `afterId` or named in `alsoIds` (committed late, below the cursor),
     * leaving out `exceptIds` (already streamed).
     */
    async since(pseudonym: string, afterId: string, options: { alsoIds?: readonly string[]; exceptIds?: readonly string[] } = {}): Promise<InboxMessage[]> {
      const result = await db.query<InboxRow>(
        `SELECT ${COLUMNS} FROM inbox_messages
         WHERE pseudonym = $1 AND (id > $2 OR id = ANY($3::bigint[])) AND id <> ALL($4::bigint[]) AND dismissed_at IS NULL
         ORDER BY id`,
        [pseudonym, afterId, options.alsoIds ?? [], options.exceptIds ?? []],
      );
      return result.rows.map(toMessage);
    },

    /** The id of the user's newest message, '0' when there is none: where a fresh live stream starts. */
    async latestId(pseudonym: string): Promise<string> {
      const result = await db.query<{ id: string | null }>('SELECT max(id)::text AS id FROM inbox_messages WHERE pseudonym = $1', [
        pseudonym,
      ]);
      return result.rows[0]?.id ?? '0';
    },
  };
}

export type InboxRepository = ReturnType<typeof createInboxRepository>;
