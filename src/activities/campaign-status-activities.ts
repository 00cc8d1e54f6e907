import type { Pool } from 'pg';
import { createCampaignLifecycleRepository } from '../db/campaign-lifecycle-repository';
import type { CampaignStatus } from '../workflows/messages';

/** A journey asks before each message step whether its campaign is paused (the pause gate). */
export function createCampaignStatusActivities(deps: { pool: Pool }) {
  const campaigns = createCampaignLifecycleRepository(deps.pool);
  return {
    async campaignStatus(campaignId: string): Promise<CampaignStatus> {
      return campaigns.status(campaignId);
    },
  };
}
