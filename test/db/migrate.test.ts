import type { Pool } from 'pg';
import { migrate } from '../../src/db/migrate';
import { migrations } from '../../src/db/migrations';
import { createPool } from '../../src/db/pool';
import { testDatabaseUrl } from '../support/env';

/** A database of its own on the test server, so migrations run from scratch; undefined where the server has only one (PGlite). */
async function freshDatabase(admin: Pool, name: string): Promise<string | undefined> {
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  const probe = createPool(url.toString(), 1);
  try {
    const current = await probe.query<{ db: string }>('SELECT current_database() AS db');
    return current.rows[0]?.db === name ? url.toString() : undefined;
  } finally {
    await probe.end();
  }
}

describe('migrate', () => {
  const name = `beckon_migrate_${Date.now().toString(36)}`;
  let admin: Pool;
  let url: string;

  beforeAll(async () => {
    admin = createPool(testDatabaseUrl(), 1);
    const fresh = await freshDatabase(admin, name);
    // Embedded PGlite serves one database: there the test runs on the already migrated one, proving idempotence only.
    url = fresh ?? testDatabaseUrl();
    if (!fresh) console.warn('migrate test: the test Postgres has a single database (PGlite); from-scratch race not exercised');
  });

  afterAll(async () => {
    if (url !== testDatabaseUrl()) await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  });

  /** Runs `work` on a fresh database of its own (a test that stops before a migration), dropped afterwards. */
  async function inOwnDatabase(suffix: string, work: (pool: Pool) => Promise<void>): Promise<void> {
    const own = `${name}_${suffix}`;
    const pool = createPool((await freshDatabase(admin, own))!, 1);
    try {
      await work(pool);
    } finally {
      await pool.end();
      await admin.query(`DROP DATABASE ${own} WITH (FORCE)`);
    }
  }

  it('applies every migration once, also when two processes start at the same moment', async () => {
    const first = createPool(url, 3);
    const second = createPool(url, 3);
    try {
      const reports = await Promise.all([migrate(first), migrate(second)]);
      const applied = reports.flatMap((report) => report.applied);
      if (url !== testDatabaseUrl()) {
        expect(applied).toHaveLength(migrations.length);
        expect(new Set(applied).size).toBe(migrations.length);
      }

      const again = await migrate(first);
      expect(again).toEqual({ applied: [], alreadyApplied: migrations.length });

      const tables = await first.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['inbox_messages', 'schema_migrations', 'users']));
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  it('leaves sources made before user tokens open (clientAuth optional) and makes new ones require tokens', async () => {
    if (url === testDatabaseUrl()) return; // needs a database of its own to stop before the migration (PGlite has one)
    await inOwnDatabase('src', async (pool) => {
      const before = migrations.filter((m) => !/source signing keys/.test(m.name));
      await migrate(pool, before);
      await pool.query(`INSERT INTO sources (id, name, key_hash) VALUES ('src_beforetokens', 'old app', '\\x00')`);
      await migrate(pool);
      await pool.query(`INSERT INTO sources (id, name, key_hash) VALUES ('src_aftertokens', 'new app', '\\x00')`);
      const rows = await pool.query('SELECT id, client_auth, allowed_origins FROM sources ORDER BY id');
      expect(rows.rows).toEqual([
        { id: 'src_aftertokens', client_auth: 'required', allowed_origins: [] },
        { id: 'src_beforetokens', client_auth: 'optional', allowed_origins: [] },
      ]);
    });
  });

  it("backfills the per-day totals from the daily roll-up kept before them, and keeps all three after", async () => {
    if (url === testDatabaseUrl()) return; // needs a database of its own to stop before the migration (PGlite has one)
    await inOwnDatabase('totals', async (pool) => {
      await migrate(pool, migrations.filter((m) => !/per-day campaign totals/.test(m.name)));
      // Counters written by the function of migration 12 (day and month): two steps, two arms, two versions, two days.
      await pool.query(`SELECT beckon_stats_add('c', v, d::date, s, var, ch, m, n) FROM (VALUES
        (1, '2026-03-01', '', 'a', '', 'entered', 3), (1, '2026-03-01', '', 'b', '', 'entered', 4), (2, '2026-03-01', '', 'a', '', 'entered', 5),
        (1, '2026-03-01', 'offer', 'a', 'email', 'sent', 2), (1, '2026-03-01', 'offer', 'b', 'email', 'sent', 6), (1, '2026-03-01', 'later', 'a', 'push', 'sent', 1),
        (1, '2026-03-02', '', 'a', '', 'converted', 1), (1, '2026-03-02', 'offer', 'a', 'email', 'converted', 1)) AS u (v, d, s, var, ch, m, n)`);
      await migrate(pool);
      await pool.query(`SELECT beckon_stats_add('c', 1, '2026-03-02'::date, 'offer', 'b', 'email', 'converted', 2)`);
      const totals = await pool.query(
        `SELECT campaign_version AS v, to_char(day, 'YYYY-MM-DD') AS day, journey, metric, count::int FROM campaign_daily_totals
         WHERE campaign_id = 'c' ORDER BY 1, 2, 3, 4`,
      );
      expect(totals.rows).toEqual([
        { v: 1, day: '2026-03-01', journey: false, metric: 'sent', count: 9 },
        { v: 1, day: '2026-03-01', journey: true, metric: 'entered', count: 7 },
        { v: 1, day: '2026-03-02', journey: false, metric: 'converted', count: 3 },
        { v: 1, day: '2026-03-02', journey: true, metric: 'converted', count: 1 },
        { v: 2, day: '2026-03-01', journey: true, metric: 'entered', count: 5 },
      ]);
      const detailed = await pool.query(`SELECT sum(count)::int AS n FROM campaign_daily_stats WHERE campaign_id = 'c'`);
      const monthly = await pool.query(`SELECT sum(count)::int AS n FROM campaign_monthly_stats WHERE campaign_id = 'c'`);
      expect([detailed.rows[0].n, monthly.rows[0].n]).toEqual([25, 25]);
    });
  });

  it('rolls a failing migration back whole and names it', async () => {
    const pool = createPool(url, 1);
    try {
      const broken = [...migrations, { id: 999, name: 'broken on purpose', sql: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;' }];
      await expect(migrate(pool, broken)).rejects.toThrow(/migration 999 \(broken on purpose\) failed/);
      const halfDone = await pool.query(`SELECT to_regclass('half_done') AS exists`);
      expect(halfDone.rows[0].exists).toBeNull();
      const recorded = await pool.query('SELECT id FROM schema_migrations WHERE id = 999');
      expect(recorded.rowCount).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
