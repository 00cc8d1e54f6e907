import type { Pool } from 'pg';

/** Profiles: the one place where a user ID and its pseudonym sit side by side (Temporal only sees the pseudonym). */
export function createUserRepository(pool: Pool) {
  return {
    /** Records that the user exists and was seen now; safe to repeat. */
    async touch(userId: string, pseudonym: string): Promise<void> {
      await pool.query(
        `INSERT INTO users (pseudonym, user_id) VALUES ($1, $2)
         ON CONFLICT (pseudonym) DO UPDATE SET last_seen_at = now()`,
        [pseudonym, userId],
      );
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
