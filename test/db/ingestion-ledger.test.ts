import type { Pool } from 'pg';
import { createIngestionLedgerRepository } from '../../src/db/ingestion-ledger-repository';
import { createSourceRepository } from '../../src/db/source-repository';
import { testPool, uniqueUserId } from '../support/env';
import { testSigningKeyVault } from '../support/api';

describe('ingestion ledger', () => {
  let pool: Pool;
  let sourceId: string;

  beforeAll(async () => {
    pool = testPool();
    sourceId = (await createSourceRepository(pool, testSigningKeyVault()).create('ledger test')).source.id;
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('reserves a messageId once, re-offers it until accepted, then answers accepted', async () => {
    const ledger = createIngestionLedgerRepository(pool);
    const id = uniqueUserId('msg');
    expect((await ledger.reserve(sourceId, id, 'p')).entry).toBe('new');
    expect((await ledger.reserve(sourceId, id, 'p')).entry).toBe('pending');
    await ledger.accept(sourceId, id);
    expect((await ledger.reserve(sourceId, id, 'p')).entry).toBe('accepted');
  });

  it('touches the profile in the same statement, and answers the pseudonym the profile holds', async () => {
    const ledger = createIngestionLedgerRepository(pool);
    const userId = uniqueUserId('touched');
    // Pseudonyms of this run only: the users table outlives a run in a reused test database.
    const touched = `p-${userId}`;
    const other = `p-other-${userId}`;
    const first = await ledger.reserve(sourceId, `${userId}-1`, touched, { userId });
    expect(first).toEqual({ entry: 'new', profilePseudonym: touched, suppressed: false, tracking: false });
    const { rows } = await pool.query<{ pseudonym: string; last_seen_at: Date }>('SELECT pseudonym, last_seen_at FROM users WHERE user_id = $1', [userId]);
    expect(rows).toEqual([expect.objectContaining({ pseudonym: touched })]);
    // Another key would hash the same user to another pseudonym: the profile's own is answered, for the caller to refuse.
    expect(await ledger.reserve(sourceId, `${userId}-2`, other, { userId })).toEqual({ entry: 'new', profilePseudonym: touched, suppressed: false, tracking: false });
    const later = await pool.query<{ last_seen_at: Date }>('SELECT last_seen_at FROM users WHERE user_id = $1', [userId]);
    expect(later.rows[0]!.last_seen_at.getTime()).toBeGreaterThanOrEqual(rows[0]!.last_seen_at.getTime());
  });

  it('accepts many messageIds in one statement, per source', async () => {
    const ledger = createIngestionLedgerRepository(pool);
    const other = (await createSourceRepository(pool, testSigningKeyVault()).create('accept-many source')).source.id;
    const ids = [uniqueUserId('many'), uniqueUserId('many'), uniqueUserId('many')];
    for (const id of ids) await ledger.reserve(sourceId, id, 'p');
    await ledger.reserve(other, ids[0]!, 'p');
    await ledger.acceptMany([{ sourceId, messageId: ids[0]! }, { sourceId, messageId: ids[1]! }]);
    expect((await ledger.reserve(sourceId, ids[0]!, 'p')).entry).toBe('accepted');
    expect((await ledger.reserve(sourceId, ids[1]!, 'p')).entry).toBe('accepted');
    expect((await ledger.reserve(sourceId, ids[2]!, 'p')).entry).toBe('pending');
    expect((await ledger.reserve(other, ids[0]!, 'p')).entry).toBe('pending');
  });

  it('keeps messageIds apart per source', async () => {
    const ledger = createIngestionLedgerRepository(pool);
    const other = (await createSourceRepository(pool, testSigningKeyVault()).create('other source')).source.id;
    const id = uniqueUserId('shared');
    await ledger.reserve(sourceId, id, 'p');
    await ledger.accept(sourceId, id);
    expect((await ledger.reserve(other, id, 'p')).entry).toBe('new');
  });

  it('forgets messageIds older than the window when pruned', async () => {
    const ledger = createIngestionLedgerRepository(pool);
    const id = uniqueUserId('old');
    await ledger.reserve(sourceId, id, 'p');
    await ledger.accept(sourceId, id);
    await pool.query(`UPDATE ingested_messages SET received_at = now() - interval '8 days' WHERE message_id = $1`, [id]);
    expect(await ledger.prune(new Date(Date.now() - 7 * 86_400_000))).toBeGreaterThanOrEqual(1);
    expect((await ledger.reserve(sourceId, id, 'p')).entry).toBe('new');
  });
});
