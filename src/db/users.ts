import type { Pool } from 'pg';

/** Profiles: the one place where a user ID and its pseudonym sit side by side (Temporal only sees the pseudonym). */
export function createUserRepository(pool: Pool) {
  return {
    /** Records that the user exists and was seen now; safe to repeat. */
    async touch(userId: string, pseudonym: string): Promise<void> {
      const result = await pool.query<{ pseudonym: string }>(
        `INSERT INTO users (pseudonym, user_id) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET last_seen_at = now()
         RETURNING pseudonym`,
        [pseudonym, userId],
      );
      if (result.rows[0]?.pseudonym !== pseudonym) {
        // Same user, other pseudonym: this process hashes with another PSEUDONYM_KEY than the one that made the profile.
        throw new Error('PSEUDONYM_KEY differs from the key this database was used with; every API replica must share one key');
      }
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
