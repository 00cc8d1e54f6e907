import { createHash } from 'node:crypto';
import type { Queryable } from './queryable';
import type { Campaign } from '../domain/campaign/campaign-model';
import { compileCampaign } from '../domain/campaign/campaign-compile';
import type { CampaignDefinition, DeliveryPolicy } from '../domain/campaign/campaign-schema';
import { withProgrammeRules } from '../domain/experiments/programme-rules';
import { withTransaction } from './transaction';

export interface PublishResult {
  campaignId: string;
  version: number;
  /** False when the definition equals the current version (nothing changed). */
  created: boolean;
}

export interface Catalog {
  revision: number;
  campaigns: Campaign[];
}

/** Key order does not change a definition's checksum. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function definitionChecksum(definition: CampaignDefinition): string {
  return createHash('sha256').update(canonical(definition)).digest('hex');
}

/** Campaign versions: an edit is a new version, never an update of the old one; running journeys keep theirs. */
export function createCampaignRepository(db: Queryable) {
  return {
    /** Publishes a validated definition as a new version unless it equals the current one; bumps the catalog revision. */
    async publish(definition: CampaignDefinition, source: string): Promise<PublishResult> {
      const checksum = definitionChecksum(definition);
      return withTransaction(db, async (client) => {
        // The catalog row serialises publishers, so two API replicas loading the same files agree on versions.
        await client.query('SELECT revision FROM campaign_catalog WHERE singleton FOR UPDATE');
        const current = await client.query<{ version: number; checksum: string }>(
          `SELECT v.version, v.checksum FROM campaigns c
           JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.current_version
           WHERE c.id = $1`,
          [definition.id],
        );
        const existing = current.rows[0];
        if (existing && existing.checksum === checksum) return { campaignId: definition.id, version: existing.version, created: false };
        const version = (existing?.version ?? 0) + 1;
        const compiled = compileCampaign(definition, version);
        await client.query(
          `INSERT INTO campaigns (id, name, current_version) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, current_version = EXCLUDED.current_version, updated_at = now()`,
          [definition.id, definition.name, version],
        );
        await client.query(
          `INSERT INTO campaign_versions (campaign_id, version, definition, compiled, checksum, source) VALUES ($1, $2, $3, $4, $5, $6)`,
          [definition.id, version, JSON.stringify(definition), JSON.stringify(compiled), checksum, source],
        );
        await client.query('UPDATE campaign_catalog SET revision = revision + 1 WHERE singleton');
        return { campaignId: definition.id, version, created: true };
      });
    },

    /**
     * The active campaigns at their current versions, with the revision they belong to, read in one snapshot;
     * each with the policy's global control group if it covers the campaign, and its version's decided winner.
     */
    async catalog(): Promise<Catalog> {
      return withTransaction(db,
        async (client) => {
          const revision = await client.query<{ revision: string }>('SELECT revision FROM campaign_catalog WHERE singleton');
          const policy = await client.query<{ policy: DeliveryPolicy | null }>('SELECT policy FROM delivery_policy WHERE singleton');
          const rows = await client.query<{ compiled: Campaign; decided_variant: string | null; decided_at: Date | null }>(
            `SELECT v.compiled, d.variant AS decided_variant, d.decided_at FROM campaigns c
             JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.current_version
             LEFT JOIN experiment_decisions d ON d.campaign_id = c.id AND d.campaign_version = v.version
             WHERE c.status = 'active' ORDER BY c.id`,
          );
          const rules = policy.rows[0]?.policy ?? undefined;
          const campaigns = rows.rows.map((row) =>
            withProgrammeRules(row.compiled, rules, row.decided_variant && row.decided_at ? { variant: row.decided_variant, decidedAt: row.decided_at.toISOString() } : undefined));
          return { revision: Number(revision.rows[0]?.revision ?? 0), campaigns };
        },
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      );
    },

    /** The catalog revision alone: what the API stamps on each event. */
    async revision(): Promise<number> {
      const result = await db.query<{ revision: string }>('SELECT revision FROM campaign_catalog WHERE singleton');
      return Number(result.rows[0]?.revision ?? 0);
    },
  };
}

export type CampaignRepository = ReturnType<typeof createCampaignRepository>;
