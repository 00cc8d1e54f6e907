import type { Queryable } from './queryable';
import { withTransaction } from './transaction';

/** Rows removed per table by one erasure; the erasure record keeps these counts and nothing else about the person. */
export type RemovedRows = Record<string, number>;

/** Tables whose rows about a person stay after erasure, under the pseudonym only, for an auditor. */
export const KEPT_FOR_AUDIT = ['consent_changes', 'erasures', 'suppressions'] as const;

export interface ErasureRecord {
  id: string;
  pseudonym: string;
  requestedBy: string;
  requestedAt: string;
  completedAt: string | null;
  removed: Record<string, unknown> | null;
}

/** Erasure (right to be forgotten) and suppression: what deletes a person's rows and keeps them from coming back. */
export function createErasureRepository(db: Queryable) {
  return {
    /** The anonymous visitors linked to this user: the same person, erased with them. */
    async linkedVisitors(pseudonym: string): Promise<string[]> {
      const result = await db.query<{ anonymous_pseudonym: string }>('SELECT anonymous_pseudonym FROM aliases WHERE user_pseudonym = $1 ORDER BY 1', [pseudonym]);
      return result.rows.map((row) => row.anonymous_pseudonym);
    },

    /** Calls for these pseudonyms are dropped from now on; repeating it keeps the first suppression. */
    async suppress(pseudonyms: readonly string[], erasureId: string): Promise<void> {
      await db.query(
        `INSERT INTO suppressions (pseudonym, erasure_id) SELECT unnest($1::text[]), $2
         ON CONFLICT (pseudonym) DO UPDATE SET erasure_id = EXCLUDED.erasure_id, suppressed_at = now(), lifted_at = NULL, lifted_by = NULL
         WHERE suppressions.lifted_at IS NOT NULL`,
        [pseudonyms, erasureId],
      );
    },

    /** Lets calls for the pseudonym through again (an operator's decision); false when it was not suppressed. */
    async lift(pseudonym: string, by: string): Promise<boolean> {
      const result = await db.query('UPDATE suppressions SET lifted_at = now(), lifted_by = $2 WHERE pseudonym = $1 AND lifted_at IS NULL', [pseudonym, by]);
      return (result.rowCount ?? 0) > 0;
    },

    async isSuppressed(pseudonym: string): Promise<boolean> {
      const result = await db.query('SELECT 1 FROM suppressions WHERE pseudonym = $1 AND lifted_at IS NULL', [pseudonym]);
      return (result.rowCount ?? 0) > 0;
    },

    /**
     * Deletes every row about these pseudonyms in one transaction, except the consent history (the
     * auditor's proof of what was chosen). Safe to repeat: a second run removes nothing.
     */
    async eraseRows(pseudonyms: readonly string[], erasureId: string): Promise<RemovedRows> {
      return withTransaction(db, async (client) => {
        const removed: RemovedRows = {};
        const run = async (table: string, sql: string, params: unknown[] = [pseudonyms]) => {
          removed[table] = (await client.query(sql, params)).rowCount ?? 0;
        };
        // The dev sinks' copies of what was sent are found by the addresses, before the profile that holds them goes.
        const addresses = await client.query<{ address: string }>(
          `SELECT email AS address FROM users WHERE pseudonym = ANY($1::text[]) AND email IS NOT NULL
           UNION SELECT token FROM push_tokens WHERE pseudonym = ANY($1::text[])`,
          [pseudonyms],
        );
        await run('dev_outbox', 'DELETE FROM dev_outbox WHERE recipients && $1::text[]', [addresses.rows.map((row) => row.address)]);
        await run('inbox_messages', 'DELETE FROM inbox_messages WHERE pseudonym = ANY($1::text[])');
        await run('engagement_events', 'DELETE FROM engagement_events WHERE pseudonym = ANY($1::text[])');
        await run('deliveries', 'DELETE FROM deliveries WHERE pseudonym = ANY($1::text[])');
        // Journey entries and conversions go; the daily roll-up keeps its counts (no pseudonym in it), as the triggers count no deletes.
        await run('experiment_entries', 'DELETE FROM experiment_entries WHERE pseudonym = ANY($1::text[])');
        await run('conversions', 'DELETE FROM conversions WHERE pseudonym = ANY($1::text[])');
        await run('message_unsubscribes', 'DELETE FROM message_unsubscribes WHERE pseudonym = ANY($1::text[])');
        // The groups themselves (a company's traits) stay; the person's membership goes.
        await run('segment_group_members', 'DELETE FROM segment_group_members WHERE pseudonym = ANY($1::text[])');
        await run('push_tokens', 'DELETE FROM push_tokens WHERE pseudonym = ANY($1::text[])');
        await run('consents', 'DELETE FROM consents WHERE pseudonym = ANY($1::text[])');
        await run('ingested_messages', 'DELETE FROM ingested_messages WHERE pseudonym = ANY($1::text[])');
        await run('aliases', 'DELETE FROM aliases WHERE anonymous_pseudonym = ANY($1::text[]) OR user_pseudonym = ANY($1::text[])');
        await run('users', 'DELETE FROM users WHERE pseudonym = ANY($1::text[])');
        const kept = await client.query<{ rows_removed: RemovedRows }>(
          'UPDATE erasures SET rows_removed = COALESCE(rows_removed, $2) WHERE id = $1 RETURNING rows_removed',
          [erasureId, JSON.stringify(removed)],
        );
        return kept.rows[0]?.rows_removed ?? removed;
      });
    },

    async recordRequested(id: string, pseudonym: string, requestedBy: string): Promise<void> {
      await db.query('INSERT INTO erasures (id, pseudonym, requested_by) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [id, pseudonym, requestedBy]);
    },

    async recordCompleted(id: string, removed: Record<string, unknown>): Promise<void> {
      await db.query('UPDATE erasures SET completed_at = COALESCE(completed_at, now()), removed = $2 WHERE id = $1', [id, JSON.stringify(removed)]);
    },

    async erasuresOf(pseudonym: string): Promise<ErasureRecord[]> {
      const result = await db.query<{ id: string; pseudonym: string; requested_by: string; requested_at: Date; completed_at: Date | null; removed: Record<string, unknown> | null }>(
        'SELECT * FROM erasures WHERE pseudonym = $1 ORDER BY requested_at',
        [pseudonym],
      );
      return result.rows.map((row) => ({
        id: row.id,
        pseudonym: row.pseudonym,
        requestedBy: row.requested_by,
        requestedAt: row.requested_at.toISOString(),
        completedAt: row.completed_at?.toISOString() ?? null,
        removed: row.removed,
      }));
    },
  };
}

export type ErasureRepository = ReturnType<typeof createErasureRepository>;
