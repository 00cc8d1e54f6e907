import type { Queryable } from './queryable';
import { SUPPRESSED_SQL, touchUserSql } from './user-repository';

/** What the ledger knows of a messageId: first seen now, seen before but never delivered, or delivered. */
export type LedgerEntry = 'new' | 'pending' | 'accepted';

/**
 * The record of every messageId a source sent, so a client's retry never becomes a second event,
 * also after the API restarts. A message is reserved before it is handed to Temporal and marked
 * accepted after; a reservation that was never accepted (Temporal was down) is handed over again.
 */
export function createIngestionLedgerRepository(db: Queryable) {
  return {
    /**
     * Reserves the messageId for this call. With `touch`, the same statement also records that the
     * user (by user ID) exists and was seen now, as `users.touch` does, and returns the pseudonym the
     * profile holds: one round trip per event instead of two on the hot path.
     */
    async reserve(
      sourceId: string,
      messageId: string,
      pseudonym: string,
      touch?: { userId: string },
    ): Promise<{ entry: LedgerEntry; profilePseudonym?: string; suppressed: boolean; tracking: boolean }> {
      const touched = touch ? `, touched AS (${touchUserSql(3, 4)})` : '';
      // A suppressed (erased) person leaves no row at all; tracking tells whether they granted the `tracking` purpose.
      const result = await db.query<{ inserted: boolean | null; accepted: boolean | null; profile_pseudonym: string | null; suppressed: boolean; tracking: boolean }>(
        `WITH inserted AS (
           INSERT INTO ingested_messages (source_id, message_id, pseudonym) SELECT $1, $2, $3 WHERE NOT EXISTS (${SUPPRESSED_SQL(3)})
           ON CONFLICT (source_id, message_id) DO NOTHING
           RETURNING true AS inserted
         )${touched},
         entry AS (
           SELECT true AS inserted, false AS accepted FROM inserted
           UNION ALL
           SELECT false, accepted_at IS NOT NULL FROM ingested_messages
           WHERE source_id = $1 AND message_id = $2 AND NOT EXISTS (SELECT 1 FROM inserted)
         )
         SELECT entry.inserted, entry.accepted, ${touch ? '(SELECT pseudonym FROM touched)' : 'NULL'} AS profile_pseudonym,
           EXISTS (${SUPPRESSED_SQL(3)}) AS suppressed,
           EXISTS (SELECT 1 FROM consents WHERE pseudonym = $3 AND channel = 'tracking' AND category = '*' AND granted) AS tracking
         FROM (SELECT 1) AS one LEFT JOIN entry ON true`,
        touch ? [sourceId, messageId, pseudonym, touch.userId] : [sourceId, messageId, pseudonym],
      );
      const row = result.rows[0]!;
      const profilePseudonym = row.profile_pseudonym ?? undefined;
      const entry: LedgerEntry = row.inserted === null || row.inserted ? 'new' : row.accepted ? 'accepted' : 'pending';
      return { entry, suppressed: row.suppressed, tracking: row.tracking, ...(profilePseudonym !== undefined && { profilePseudonym }) };
    },

    async accept(sourceId: string, messageId: string): Promise<void> {
      await db.query('UPDATE ingested_messages SET accepted_at = now() WHERE source_id = $1 AND message_id = $2', [sourceId, messageId]);
    },

    /** Marks many messageIds accepted in one statement (the API's group commit). */
    async acceptMany(entries: readonly { sourceId: string; messageId: string }[]): Promise<void> {
      if (entries.length === 0) return;
      await db.query(
        `UPDATE ingested_messages SET accepted_at = now()
         FROM unnest($1::text[], $2::text[]) AS accepted(source_id, message_id)
         WHERE ingested_messages.source_id = accepted.source_id AND ingested_messages.message_id = accepted.message_id`,
        [entries.map((e) => e.sourceId), entries.map((e) => e.messageId)],
      );
    },

    /** Forgets messageIds older than the window; a retry later than that would count again. */
    async prune(olderThan: Date): Promise<number> {
      const result = await db.query('DELETE FROM ingested_messages WHERE received_at < $1', [olderThan]);
      return result.rowCount ?? 0;
    },
  };
}

export type IngestionLedgerRepository = ReturnType<typeof createIngestionLedgerRepository>;
