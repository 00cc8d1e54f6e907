import type { Pool } from 'pg';
import { createInAppActivities } from './in-app';

export interface ActivityDeps {
  pool: Pool;
}

/** Every activity the worker registers, built from explicit dependencies (no module-level singletons). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createInAppActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
