import { Pool, type PoolClient } from 'pg';
import type { Queryable } from './queryable';

/**
 * Runs `work` in one transaction on one client: committed if it returns, rolled back if it throws.
 * While the client is out of the pool nothing else listens for its errors: a server that ends the
 * connection between two queries (a restart) would otherwise throw from an unhandled 'error' event
 * and take the process down. It is recorded here, the transaction fails, and the client is discarded.
 */
export async function withTransaction<T>(db: Queryable, work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  if (!(db instanceof Pool)) return withSavepoint(db, work);
  const client = await db.connect();
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

/**
 * Inside a caller's transaction (a repository made over its client): the work joins it, under a
 * savepoint so that its failure undoes only its own statements. The caller's isolation level holds.
 */
async function withSavepoint<T>(client: PoolClient, work: (client: PoolClient) => Promise<T>): Promise<T> {
  await client.query('SAVEPOINT beckon_nested');
  try {
    const result = await work(client);
    await client.query('RELEASE SAVEPOINT beckon_nested');
    return result;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT beckon_nested');
    throw err;
  }
}
