import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on one client: committed if it returns, rolled back if it throws.
 * While the client is out of the pool nothing else listens for its errors: a server that ends the
 * connection between two queries (a restart) would otherwise throw from an unhandled 'error' event
 * and take the process down. It is recorded here, the transaction fails, and the client is discarded.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onError);
  const release = (err?: Error) => {
    client.off('error', onError);
    client.release(err ?? lost);
  };
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    release();
    return result;
  } catch (err) {
    // A client whose ROLLBACK fails is broken: release it with the error so the pool discards it.
    const rollbackFailed = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    release(rollbackFailed);
    throw err;
  }
}
