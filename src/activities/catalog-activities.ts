import type { Pool } from 'pg';
import { createCampaignRepository } from '../db/campaign-repository';
import type { CampaignCatalog } from '../workflows/messages';

/** The user workflow reloads the active campaigns only when an event carries a newer catalog revision. */
export function createCatalogActivities(deps: { pool: Pool }) {
  const campaigns = createCampaignRepository(deps.pool);
  return {
    async loadCatalog(): Promise<CampaignCatalog> {
      return campaigns.catalog();
    },
  };
}
