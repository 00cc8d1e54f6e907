import { Pool } from 'pg';

/** A pg pool whose idle-client errors (a restarted server) are logged instead of crashing the process. */
export function createPool(connectionString: string, max: number, onError: (err: Error) => void = () => {}): Pool {
  const pool = new Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  pool.on('error', onError);
  return pool;
}
