import type { Queryable } from './queryable';

/** How old a row may grow before the periodic loop deletes it (RETAIN_* settings). */
export interface RetentionCutoffs {
  deliveries: Date;
  engagement: Date;
  inbox: Date;
  erasureDetails: Date;
}

/** Retention: deletes what is older than its cutoff; each statement is idempotent, so every replica may run it. */
export function createRetentionRepository(db: Queryable) {
  const count = async (sql: string, cutoff: Date) => (await db.query(sql, [cutoff])).rowCount ?? 0;
  return {
    async prune(cutoffs: RetentionCutoffs): Promise<Record<keyof RetentionCutoffs, number>> {
      return {
        deliveries: await count('DELETE FROM deliveries WHERE updated_at < $1', cutoffs.deliveries),
        engagement: await count('DELETE FROM engagement_events WHERE occurred_at < $1 AND signalled_at IS NOT NULL', cutoffs.engagement),
        inbox: await count('DELETE FROM inbox_messages WHERE created_at < $1', cutoffs.inbox),
        erasureDetails: await count('UPDATE erasures SET removed = NULL, rows_removed = NULL WHERE completed_at < $1 AND removed IS NOT NULL', cutoffs.erasureDetails),
      };
    },
  };
}
