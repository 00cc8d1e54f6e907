import type { Queryable } from './queryable';

/** What the health check asks of Postgres. */
export function createHealthRepository(db: Queryable) {
  return {
    /** Resolves when the database answers a query; rejects with the driver's error when it does not. */
    async ping(): Promise<void> {
      await db.query('SELECT 1');
    },
  };
}

export type HealthRepository = ReturnType<typeof createHealthRepository>;
