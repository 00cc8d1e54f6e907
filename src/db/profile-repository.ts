import type { Queryable } from './queryable';

/** What the send path needs to reach a user; written by `identify`. */
export interface ContactPoints {
  email: string | null;
  phone: string | null;
  /** IANA zone, e.g. "Europe/Berlin"; null when the app never said. */
  timezone: string | null;
  locale: string | null;
  traits: Record<string, unknown>;
  pushTokens: { token: string; platform: string | null }[];
}

/** What the send path reads of a profile to reach the user, and the push tokens it forgets. */
export function createProfileRepository(db: Queryable) {
  return {
    /** The user's contact points, or undefined for a pseudonym with no profile. */
    async contactPoints(pseudonym: string): Promise<ContactPoints | undefined> {
      const profile = await db.query<{ email: string | null; phone: string | null; timezone: string | null; locale: string | null; traits: Record<string, unknown> }>(
        'SELECT email, phone, timezone, locale, traits FROM users WHERE pseudonym = $1',
        [pseudonym],
      );
      const row = profile.rows[0];
      if (!row) return undefined;
      const tokens = await db.query<{ token: string; platform: string | null }>(
        'SELECT token, platform FROM push_tokens WHERE pseudonym = $1 ORDER BY created_at, token',
        [pseudonym],
      );
      return { email: row.email, phone: row.phone, timezone: row.timezone, locale: row.locale, traits: row.traits, pushTokens: tokens.rows };
    },

    /** Forgets a device token that the push provider reported as unregistered or invalid. */
    async removePushToken(token: string): Promise<boolean> {
      const result = await db.query('DELETE FROM push_tokens WHERE token = $1', [token]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;
