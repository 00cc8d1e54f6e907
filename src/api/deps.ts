import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';

/** What the routes need; `src/api.ts` builds it. */
export interface ApiDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  pseudonymize: (userId: string) => string;
}
