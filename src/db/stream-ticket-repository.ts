import type { Pool, PoolClient } from 'pg';

/** Stream tickets are single-use: the nonce of each one used is kept until well after it expires, in Postgres so every API replica sees it. */
export function createStreamTicketRepository(db: Pool | PoolClient) {
  return {
    /** Marks the ticket's nonce used; false when it had been used already. */
    async use(nonce: string, expiresAt: Date): Promise<boolean> {
      // Kept 5 minutes past expiry, so an API process whose clock lags the database's cannot take a pruned nonce again.
      await db.query(`DELETE FROM stream_ticket_uses WHERE expires_at < now() - interval '5 minutes'`);
      const result = await db.query('INSERT INTO stream_ticket_uses (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING', [nonce, expiresAt]);
      return result.rowCount === 1;
    },
  };
}

export type StreamTicketRepository = ReturnType<typeof createStreamTicketRepository>;
