import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createProfileRepository } from '../../src/db/profile-repository';
import { withTransaction } from '../../src/db/transaction';
import { createUserRepository } from '../../src/db/user-repository';
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

describe('a repository made over a transaction\'s client', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
  });

  it('joins the caller\'s transaction: its own transaction is rolled back with the caller\'s', async () => {
    const userId = `tx-${randomUUID()}`;
    const attempt = withTransaction(pool, async (client) => {
      await createUserRepository(client).identify(userId, `p-${userId}`, { traits: {}, email: 'a@example.com' });
      expect(await createProfileRepository(client).contactPoints(`p-${userId}`)).toMatchObject({ email: 'a@example.com' });
      throw new Error('the caller changes its mind');
    });
    await expect(attempt).rejects.toThrow('the caller changes its mind');
    expect(await createProfileRepository(pool).contactPoints(`p-${userId}`)).toBeUndefined();
  });

  it('undoes only its own statements when it fails, and the caller\'s transaction goes on', async () => {
    const userId = `tx-${randomUUID()}`;
    await withTransaction(pool, async (client) => {
      const users = createUserRepository(client);
      await users.identify(userId, `p-${userId}`, { traits: { plan: 'pro' } });
      // Same user ID under another pseudonym: the repository's transaction fails (a key mismatch).
      await expect(users.identify(userId, `other-${userId}`, { traits: { plan: 'free' } })).rejects.toThrow(/PSEUDONYM_KEY/);
      await client.query('SELECT 1');
    });
    expect(await createProfileRepository(pool).contactPoints(`p-${userId}`)).toMatchObject({ traits: { plan: 'pro' } });
  });
});
