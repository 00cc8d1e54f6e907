import type { Pool, PoolClient } from 'pg';

/** Runs `work` in one transaction on one client: committed if it returns, rolled back if it throws. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    // A client whose ROLLBACK fails is broken: release it with the error so the pool discards it.
    const rollbackFailed = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    client.release(rollbackFailed);
    throw err;
  }
}
