import type { Queryable } from './queryable';

export interface AliasLink {
  userPseudonym: string;
  /** Whether the user's workflow was already asked to absorb the anonymous one (the visitor hand-over: see userWorkflow, src/workflows/user-workflow.ts). */
  mergeRequested: boolean;
}

/** Which known user an anonymous visitor turned out to be; the first link wins. */
export function createAliasRepository(db: Queryable) {
  return {
    /** Links the anonymous pseudonym to the user's unless it is linked already; returns the link in force. */
    async link(anonymousPseudonym: string, userPseudonym: string): Promise<AliasLink> {
      const result = await db.query<{ user_pseudonym: string; merge_requested: boolean }>(
        `WITH inserted AS (
           INSERT INTO aliases (anonymous_pseudonym, user_pseudonym) VALUES ($1, $2)
           ON CONFLICT (anonymous_pseudonym) DO NOTHING
           RETURNING user_pseudonym, false AS merge_requested
         )
         SELECT user_pseudonym, merge_requested FROM inserted
         UNION ALL
         SELECT user_pseudonym, merge_requested_at IS NOT NULL FROM aliases
         WHERE anonymous_pseudonym = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
        [anonymousPseudonym, userPseudonym],
      );
      const row = result.rows[0];
      if (!row) throw new Error(`alias of ${anonymousPseudonym} neither inserted nor found`);
      return { userPseudonym: row.user_pseudonym, mergeRequested: row.merge_requested };
    },

    async markMergeRequested(anonymousPseudonym: string): Promise<void> {
      await db.query('UPDATE aliases SET merge_requested_at = now() WHERE anonymous_pseudonym = $1', [anonymousPseudonym]);
    },

    /** The user an anonymous pseudonym belongs to, if it was ever linked. */
    async resolve(anonymousPseudonym: string): Promise<string | undefined> {
      const result = await db.query<{ user_pseudonym: string }>('SELECT user_pseudonym FROM aliases WHERE anonymous_pseudonym = $1', [
        anonymousPseudonym,
      ]);
      return result.rows[0]?.user_pseudonym;
    },
  };
}

export type AliasRepository = ReturnType<typeof createAliasRepository>;
