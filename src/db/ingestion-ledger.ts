import type { Pool } from 'pg';

/** What the ledger knows of a messageId: first seen now, seen before but never delivered, or delivered. */
export type LedgerEntry = 'new' | 'pending' | 'accepted';

/**
 * The record of every messageId a source sent, so a client's retry never becomes a second event,
 * also after the API restarts. A message is reserved before it is handed to Temporal and marked
 * accepted after; a reservation that was never accepted (Temporal was down) is handed over again.
 */
export function createIngestionLedger(pool: Pool) {
  return {
    async reserve(sourceId: string, messageId: string, pseudonym: string): Promise<LedgerEntry> {
      const result = await pool.query<{ inserted: boolean; accepted: boolean }>(
        `WITH inserted AS (
           INSERT INTO ingested_messages (source_id, message_id, pseudonym) VALUES ($1, $2, $3)
           ON CONFLICT (source_id, message_id) DO NOTHING
           RETURNING true AS inserted
         )
         SELECT true AS inserted, false AS accepted FROM inserted
         UNION ALL
         SELECT false, accepted_at IS NOT NULL FROM ingested_messages
         WHERE source_id = $1 AND message_id = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`,
        [sourceId, messageId, pseudonym],
      );
      const row = result.rows[0];
      if (!row || row.inserted) return 'new';
      return row.accepted ? 'accepted' : 'pending';
    },

    async accept(sourceId: string, messageId: string): Promise<void> {
      await pool.query('UPDATE ingested_messages SET accepted_at = now() WHERE source_id = $1 AND message_id = $2', [sourceId, messageId]);
    },

    /** Forgets messageIds older than the window; a retry later than that would count again. */
    async prune(olderThan: Date): Promise<number> {
      const result = await pool.query('DELETE FROM ingested_messages WHERE received_at < $1', [olderThan]);
      return result.rowCount ?? 0;
    },
  };
}

export type IngestionLedger = ReturnType<typeof createIngestionLedger>;
