import type { Pool } from 'pg';
import { createRetentionRepository } from '../../src/db/retention-repository';
import { testPool, uniqueUserId } from '../support/env';

/** The RETAIN_* settings as the API's hourly loop applies them. */
describe('retention', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool.end();
  });

  it('deletes deliveries, engagement and inbox messages past their cutoff, and erasure details, keeping what is newer', async () => {
    const pseudonym = uniqueUserId('retain');
    await pool.query('INSERT INTO users (pseudonym, user_id) VALUES ($1, $1)', [pseudonym]);
    for (const [suffix, age] of [['old', '400 days'], ['new', '1 day']] as const) {
      // A delivery key as the send path makes them (campaign:vN:pseudonym:entry:step): the roll-up's triggers read its entry.
      const key = `c:v1:${pseudonym}:${suffix === 'old' ? 1 : 2}:s`;
      await pool.query(
        `INSERT INTO deliveries (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel, category, status, updated_at)
         VALUES ($1, $2, 'c', 1, 's', 'email', 'x', 'sent', now() - $3::interval)`,
        [key, pseudonym, age],
      );
      await pool.query(
        `INSERT INTO inbox_messages (pseudonym, delivery_key, campaign_id, campaign_version, title, body, created_at) VALUES ($1, $2, 'c', 1, 't', 'b', now() - $3::interval)`,
        [pseudonym, key, age],
      );
      await pool.query(
        `INSERT INTO engagement_events (message_id, pseudonym, event, delivery_key, campaign_id, campaign_version, step_id, channel, payload, occurred_at, signalled_at)
         VALUES ($1, $2, 'Email Opened', $1, 'c', 1, 's', 'email', '{}', now() - $3::interval, now())`,
        [key, pseudonym, age],
      );
      await pool.query(`INSERT INTO erasures (id, pseudonym, requested_by, completed_at, removed) VALUES ($1, $2, 'tok', now() - $3::interval, '{"workflows": 1}')`, [`${pseudonym}-${suffix}`, pseudonym, age]);
    }
    const cutoff = new Date(Date.now() - 30 * 86_400_000);
    const removed = await createRetentionRepository(pool).prune({ deliveries: cutoff, engagement: cutoff, inbox: cutoff, erasureDetails: cutoff });
    expect(removed.deliveries).toBeGreaterThanOrEqual(1);
    const left = async (sql: string) => (await pool.query(sql, [pseudonym])).rows.map((row) => Object.values(row)[0]);
    expect(await left('SELECT delivery_key FROM deliveries WHERE pseudonym = $1')).toEqual([`c:v1:${pseudonym}:2:s`]);
    expect(await left('SELECT delivery_key FROM inbox_messages WHERE pseudonym = $1')).toEqual([`c:v1:${pseudonym}:2:s`]);
    expect(await left('SELECT message_id FROM engagement_events WHERE pseudonym = $1')).toEqual([`c:v1:${pseudonym}:2:s`]);
    // The erasure record itself stays (when, by whom); only its details go.
    expect(await left('SELECT removed FROM erasures WHERE pseudonym = $1 ORDER BY id')).toEqual([{ workflows: 1 }, null]);
  });
});
