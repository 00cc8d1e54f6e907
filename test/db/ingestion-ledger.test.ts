import type { Pool } from 'pg';
import { createIngestionLedger } from '../../src/db/ingestion-ledger';
import { createSourceRepository } from '../../src/db/sources';
import { testPool, uniqueUserId } from '../support/env';

describe('ingestion ledger', () => {
  let pool: Pool;
  let sourceId: string;

  beforeAll(async () => {
    pool = testPool();
    sourceId = (await createSourceRepository(pool).create('ledger test')).source.id;
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('reserves a messageId once, re-offers it until accepted, then answers accepted', async () => {
    const ledger = createIngestionLedger(pool);
    const id = uniqueUserId('msg');
    expect(await ledger.reserve(sourceId, id, 'p')).toBe('new');
    expect(await ledger.reserve(sourceId, id, 'p')).toBe('pending');
    await ledger.accept(sourceId, id);
    expect(await ledger.reserve(sourceId, id, 'p')).toBe('accepted');
  });

  it('keeps messageIds apart per source', async () => {
    const ledger = createIngestionLedger(pool);
    const other = (await createSourceRepository(pool).create('other source')).source.id;
    const id = uniqueUserId('shared');
    await ledger.reserve(sourceId, id, 'p');
    await ledger.accept(sourceId, id);
    expect(await ledger.reserve(other, id, 'p')).toBe('new');
  });

  it('forgets messageIds older than the window when pruned', async () => {
    const ledger = createIngestionLedger(pool);
    const id = uniqueUserId('old');
    await ledger.reserve(sourceId, id, 'p');
    await ledger.accept(sourceId, id);
    await pool.query(`UPDATE ingested_messages SET received_at = now() - interval '8 days' WHERE message_id = $1`, [id]);
    expect(await ledger.prune(new Date(Date.now() - 7 * 86_400_000))).toBeGreaterThanOrEqual(1);
    expect(await ledger.reserve(sourceId, id, 'p')).toBe('new');
  });
});
