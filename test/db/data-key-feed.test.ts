import { startDataKeyFeed } from '../../src/db/data-key-feed';
import { createDataKeyRepository } from '../../src/db/data-key-repository';
import { createPool } from '../../src/db/pool';
import { eventually } from '../support/api';
import { testDatabaseUrl, testPool, uniqueUserId } from '../support/env';

const wrap = () => ({ wrapped: Buffer.alloc(44, 1), masterKeyId: 'test-master' });

/** The feed hears every key destruction, and after its connection is cut it reconnects and says notifications may have been missed. */
describe('the data key feed', () => {
  const name = `key-feed-${Date.now().toString(36)}`;
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('application_name', name);
  const pool = createPool(url.toString(), 2);
  const admin = testPool();
  const keys = createDataKeyRepository(admin);

  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('names each destroyed key, and after a dropped connection reconnects and reports the gap', async () => {
    const destroyed: string[] = [];
    let missed = 0;
    const feed = await startDataKeyFeed(pool, { destroyed: (ids) => destroyed.push(...ids), missed: () => (missed += 1) });
    try {
      expect(feed.listening).toBe(true);
      const first = await keys.getOrCreate(uniqueUserId('feed'), wrap);
      await keys.destroy([first.pseudonym]);
      await eventually(async () => destroyed, (ids) => ids.includes(first.keyId));

      // The listening connection is cut, as a Postgres restart or failover would.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      await eventually(async () => missed, (n) => n === 1);
      expect(feed.listening).toBe(true);
      const second = await keys.getOrCreate(uniqueUserId('feed'), wrap);
      await keys.destroy([second.pseudonym]);
      await eventually(async () => destroyed, (ids) => ids.includes(second.keyId));
    } finally {
      await feed.close();
    }
    expect(feed.listening).toBe(false);
  });
});
