import type { Pool } from 'pg';
import { createCampaignStatusActivities } from './campaign-status';
import { createCatalogActivities } from './catalog';
import { createMessageActivities } from './messages';

export interface ActivityDeps {
  pool: Pool;
}

/** Every activity the worker registers, built from explicit dependencies (no module-level singletons). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCatalogActivities(deps),
    ...createCampaignStatusActivities(deps),
    ...createMessageActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
