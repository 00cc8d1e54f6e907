import type { Pool, PoolClient } from 'pg';

/** The most groups of one user the user workflow is told about (their latest joined); keeps its state small. */
export const MAX_GROUPS_PER_USER = 20;

/** Segment groups (accounts, companies): each group's traits, and which users belong to it. */
export function createGroupRepository(db: Pool | PoolClient) {
  return {
    /**
     * Merges the group's traits (a `null` removes one), records the user as a member, and answers the traits of
     * every group the user belongs to, by group ID. One statement, so concurrent calls of one group merge in turn.
     */
    async join(pseudonym: string, groupId: string, traits: Record<string, unknown>): Promise<Record<string, Record<string, unknown>>> {
      const result = await db.query<{ group_id: string; traits: Record<string, unknown> }>(
        `WITH grp AS (
           INSERT INTO segment_groups (group_id, traits) VALUES ($2, jsonb_strip_nulls($3::jsonb))
           ON CONFLICT (group_id) DO UPDATE SET traits = jsonb_strip_nulls(segment_groups.traits || $3::jsonb), updated_at = now()
           RETURNING group_id, traits
         ), member AS (
           INSERT INTO segment_group_members (pseudonym, group_id) SELECT $1, group_id FROM grp
           ON CONFLICT (pseudonym, group_id) DO UPDATE SET joined_at = now()
           RETURNING group_id
         )
         SELECT group_id, traits FROM grp
         UNION ALL
         (SELECT g.group_id, g.traits FROM segment_group_members m JOIN segment_groups g USING (group_id)
          WHERE m.pseudonym = $1 AND m.group_id <> $2 ORDER BY m.joined_at DESC LIMIT $4)`,
        [pseudonym, groupId, JSON.stringify(traits), MAX_GROUPS_PER_USER - 1],
      );
      return Object.fromEntries(result.rows.map((row) => [row.group_id, row.traits]));
    },
  };
}

export type GroupRepository = ReturnType<typeof createGroupRepository>;
