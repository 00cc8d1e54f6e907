import type { Pool, PoolClient } from 'pg';

/**
 * What every repository runs its statements on: the pool (each statement on its own, and a method
 * that needs a transaction opens one), or a transaction's client (everything joins the caller's
 * transaction), so where a transaction begins is visible where the repository is made.
 */
export type Queryable = Pool | PoolClient;
