import type { Pool } from 'pg';
import { withTransaction } from '../../src/db/transaction';
import { testPool } from '../support/env';

/**
 * Found by `npm run chaos`: Postgres restarting while a worker held a client between two queries
 * of a transaction killed the worker, because pg emits the server's FATAL as an 'error' event on a
 * checked-out client, which has no listener. The transaction must fail instead, and the pool go on.
 */
describe('withTransaction when the server ends the connection between two queries', () => {
  let pool: Pool;
  let admin: Pool;

  beforeAll(() => {
    pool = testPool();
    admin = testPool();
  });

  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('rejects, discards the dead client, and the next transaction works', async () => {
    const attempt = withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // No query runs while the server's FATAL arrives.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await client.query('SELECT 1');
    });
    await expect(attempt).rejects.toThrow(/terminat|Connection/i);
    expect(await withTransaction(pool, async (client) => (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one)).toBe(1);
  });
});
