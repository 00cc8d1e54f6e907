import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { createCampaignRepository, type PublishResult } from '../db/campaign-repository';
import { createDeliveryPolicyRepository } from '../db/delivery-policy-repository';
import { loadCampaignFiles } from './campaign-files';

/** Validates every file in the folder, then publishes each changed campaign as a new version and the delivery policy. */
export async function publishCampaignFolder(pool: Pool, dir: string): Promise<PublishResult[]> {
  const { campaigns, policy } = loadCampaignFiles(resolve(dir));
  await createDeliveryPolicyRepository(pool).save(policy);
  const repository = createCampaignRepository(pool);
  const results: PublishResult[] = [];
  for (const { file, definition } of campaigns) results.push(await repository.publish(definition, file));
  return results;
}

export function describePublish(results: PublishResult[]): string {
  const created = results.filter((r) => r.created).map((r) => `${r.campaignId} v${r.version}`);
  return `${results.length} campaigns, ${created.length ? `published ${created.join(', ')}` : 'none changed'}`;
}
