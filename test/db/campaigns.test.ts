import type { Pool } from 'pg';
import { validateCampaign } from '../../src/domain/campaign/campaign-validation';
import type { CampaignDefinition } from '../../src/domain/campaign/campaign-schema';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import { testPool } from '../support/env';

let pool: Pool;

beforeAll(() => {
  pool = testPool();
});

afterAll(async () => {
  await pool.end();
});

function definition(id: string, title: string): CampaignDefinition {
  const result = validateCampaign({
    id,
    name: `Campaign ${id}`,
    entry: { event: 'Go' },
    templates: { t: { channel: 'in_app', title, body: '.' } },
    steps: [{ id: 'wait', type: 'wait', duration: '4 hours' }, { id: 's', type: 'message', template: 't' }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

describe('campaign versions in Postgres', () => {
  it('publishes a new version only when the definition changes, and bumps the catalog revision each time', async () => {
    const repository = createCampaignRepository(pool);
    const id = `versions-${Date.now().toString(36)}`;
    const before = await repository.revision();

    expect(await repository.publish(definition(id, 'First'), 'test')).toEqual({ campaignId: id, version: 1, created: true });
    expect(await repository.publish(definition(id, 'First'), 'test')).toEqual({ campaignId: id, version: 1, created: false });
    expect(await repository.revision()).toBe(before + 1);

    expect(await repository.publish(definition(id, 'Second'), 'test')).toEqual({ campaignId: id, version: 2, created: true });
    const catalog = await repository.catalog();
    expect(catalog.revision).toBe(before + 2);
    const current = catalog.campaigns.find((campaign) => campaign.id === id)!;
    expect(current.version).toBe(2);
    expect(current.templates.t).toEqual({ channel: 'in_app', title: 'Second', body: '.' });
    expect(current.steps[0]).toEqual({ id: 'wait', type: 'wait', duration: '4 hours', durationMs: 4 * 3_600_000, next: 1 });

    const kept = await pool.query('SELECT version, definition FROM campaign_versions WHERE campaign_id = $1 ORDER BY version', [id]);
    expect(kept.rows.map((row: { version: number; definition: CampaignDefinition }) => [row.version, row.definition.templates.t])).toEqual([
      [1, { channel: 'in_app', title: 'First', body: '.' }],
      [2, { channel: 'in_app', title: 'Second', body: '.' }],
    ]);
  });

  it('gives replicas publishing the same files at once one version between them', async () => {
    const id = `race-${Date.now().toString(36)}`;
    const replicas = [createCampaignRepository(pool), createCampaignRepository(pool), createCampaignRepository(pool)];
    const results = await Promise.all(replicas.map((repository) => repository.publish(definition(id, 'Same'), 'test')));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.version))).toEqual(new Set([1]));
  });
});
