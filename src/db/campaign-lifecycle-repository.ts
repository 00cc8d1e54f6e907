import type { CampaignDefinition } from '../domain/campaign/campaign-schema';
import type { CampaignStatus } from '../workflows/messages';
import type { Queryable } from './queryable';
import { withTransaction } from './transaction';

export type StoredStatus = Exclude<CampaignStatus, 'unknown'>;

export interface CampaignSummary {
  id: string;
  name: string;
  status: StoredStatus;
  version: number;
  updatedAt: string;
}

export interface CampaignVersionInfo {
  version: number;
  checksum: string;
  source: string;
  createdAt: string;
}

/** Which status each lifecycle operation may start from. */
const TRANSITIONS: Record<'pause' | 'resume' | 'archive', { to: StoredStatus; from: StoredStatus[] }> = {
  pause: { to: 'paused', from: ['active'] },
  resume: { to: 'active', from: ['paused', 'archived'] },
  archive: { to: 'archived', from: ['active', 'paused'] },
};
export type Transition = keyof typeof TRANSITIONS;

export type TransitionResult =
  | { outcome: 'changed' | 'unchanged'; status: StoredStatus }
  | { outcome: 'not_found' }
  | { outcome: 'conflict'; status: StoredStatus; allowedFrom: StoredStatus[] };

interface SummaryRow {
  id: string;
  name: string;
  status: StoredStatus;
  current_version: number;
  updated_at: Date;
}
const summary = (row: SummaryRow): CampaignSummary => ({
  id: row.id,
  name: row.name,
  status: row.status,
  version: row.current_version,
  updatedAt: row.updated_at.toISOString(),
});

/** Campaign status (active, paused, archived): what ops change, what the pause gate and the catalog read. */
export function createCampaignLifecycleRepository(db: Queryable) {
  return {
    /** A campaign's status; also inside the send path's transaction, which answers `paused` itself. */
    async status(campaignId: string): Promise<CampaignStatus> {
      const result = await db.query<{ status: StoredStatus }>('SELECT status FROM campaigns WHERE id = $1', [campaignId]);
      return result.rows[0]?.status ?? 'unknown';
    },

    async list(options: { includeArchived?: boolean } = {}): Promise<CampaignSummary[]> {
      const result = await db.query<SummaryRow>(
        `SELECT * FROM campaigns ${options.includeArchived ? '' : `WHERE status <> 'archived'`} ORDER BY id`,
      );
      return result.rows.map(summary);
    },

    async show(campaignId: string): Promise<(CampaignSummary & { definition: CampaignDefinition; versions: CampaignVersionInfo[] }) | undefined> {
      const campaign = await db.query<SummaryRow>('SELECT * FROM campaigns WHERE id = $1', [campaignId]);
      const row = campaign.rows[0];
      if (!row) return undefined;
      const versions = await db.query<{ version: number; checksum: string; source: string; created_at: Date; definition: CampaignDefinition }>(
        'SELECT version, checksum, source, created_at, definition FROM campaign_versions WHERE campaign_id = $1 ORDER BY version DESC',
        [campaignId],
      );
      const current = versions.rows.find((version) => version.version === row.current_version);
      return {
        ...summary(row),
        definition: current!.definition,
        versions: versions.rows.map((v) => ({ version: v.version, checksum: v.checksum, source: v.source, createdAt: v.created_at.toISOString() })),
      };
    },

    /** Moves a campaign to the operation's status and bumps the catalog revision, so user workflows stop (or resume) entries. */
    async transition(campaignId: string, operation: Transition): Promise<TransitionResult> {
      const { to, from } = TRANSITIONS[operation];
      return withTransaction(db, async (client) => {
        // The catalog row serialises this with publishers, as publish does.
        await client.query('SELECT revision FROM campaign_catalog WHERE singleton FOR UPDATE');
        const current = await client.query<{ status: StoredStatus }>('SELECT status FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId]);
        const status = current.rows[0]?.status;
        if (!status) return { outcome: 'not_found' };
        if (status === to) return { outcome: 'unchanged', status };
        if (!from.includes(status)) return { outcome: 'conflict', status, allowedFrom: from };
        await client.query('UPDATE campaigns SET status = $2, updated_at = now() WHERE id = $1', [campaignId, to]);
        await client.query('UPDATE campaign_catalog SET revision = revision + 1 WHERE singleton');
        return { outcome: 'changed', status: to };
      });
    },
  };
}

export type CampaignLifecycleRepository = ReturnType<typeof createCampaignLifecycleRepository>;
