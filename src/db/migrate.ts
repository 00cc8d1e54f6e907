import type { Pool } from 'pg';
import { migrations as allMigrations, type Migration } from './migrations';

/** Arbitrary constant naming Beckon's migration lock; two processes starting at once take turns. */
const MIGRATION_LOCK = 74_201_117;

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/** Applies pending migrations under an advisory lock; safe to run twice and from two processes at once. */
export async function migrate(pool: Pool, migrations: readonly Migration[] = allMigrations): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = await client.query<{ id: number }>('SELECT id FROM schema_migrations');
      const doneIds = new Set(done.rows.map((row) => row.id));
      const applied: string[] = [];
      for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
        if (doneIds.has(migration.id)) continue;
        await client.query('BEGIN');
        try {
          // Checked again inside the transaction: embedded PGlite is one session, where the advisory lock excludes nobody.
          const again = await client.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
          if (again.rowCount) {
            await client.query('ROLLBACK');
            continue;
          }
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${migration.id} (${migration.name}) failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(`${migration.id} ${migration.name}`);
      }
      return { applied, alreadyApplied: doneIds.size };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
