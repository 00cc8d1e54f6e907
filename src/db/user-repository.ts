import type { Queryable } from './queryable';
import { withTransaction } from './transaction';

/** What identify says about a user: traits, and the contact points drawn from them and from its context. */
export interface ProfileUpdate {
  traits: Record<string, unknown>;
  email?: string;
  phone?: string;
  timezone?: string;
  locale?: string;
  pushToken?: { token: string; platform?: string };
}

// Same user, other pseudonym: this process hashes with another PSEUDONYM_KEY than the one that made the profile.
const KEY_MISMATCH = 'PSEUDONYM_KEY differs from the key this database was used with; every API replica must share one key';

/**
 * The touch of a user (exists, seen now), returning the pseudonym the profile holds; `$p` and `$u`
 * are the parameter numbers of the pseudonym and the user ID. Also run inside the ingestion
 * ledger's reservation, so an event costs one round trip.
 */
export const touchUserSql = (p: number, u: number): string =>
  `INSERT INTO users (pseudonym, user_id) SELECT $${p}, $${u} WHERE NOT EXISTS (${SUPPRESSED_SQL(p)})
   ON CONFLICT (user_id) DO UPDATE SET last_seen_at = now()
   RETURNING pseudonym`;

/** Whether the pseudonym `$p` was erased and is suppressed; a suppressed person's profile is never made again. */
export const SUPPRESSED_SQL = (p: number): string => `SELECT 1 FROM suppressions WHERE pseudonym = $${p} AND lifted_at IS NULL`;

/** The person was erased: calls for them are dropped until an operator lifts the suppression. */
export class UserSuppressedError extends Error {
  readonly statusCode = 410;
  constructor() {
    super('this user was erased; calls for them are dropped until an operator lifts the suppression (`beckon users unsuppress`)');
    this.name = 'UserSuppressedError';
  }
}

/** A profile made under another PSEUDONYM_KEY answers another pseudonym for the same user ID. */
export function assertSameKey(profilePseudonym: string | undefined, pseudonym: string): void {
  if (profilePseudonym !== pseudonym) throw new Error(KEY_MISMATCH);
}

/** Profiles: the one place where a user ID and its pseudonym sit side by side (Temporal only sees the pseudonym). */
export function createUserRepository(db: Queryable) {
  return {
    /** Records that the user exists and was seen now; safe to repeat. */
    async touch(userId: string, pseudonym: string): Promise<void> {
      const result = await db.query<{ pseudonym: string }>(touchUserSql(1, 2), [pseudonym, userId]);
      if (result.rows.length === 0 && (await db.query(SUPPRESSED_SQL(1), [pseudonym])).rowCount) throw new UserSuppressedError();
      assertSameKey(result.rows[0]?.pseudonym, pseudonym);
    },

    /** The user ID behind each of these pseudonyms that has a profile. */
    async userIdsOf(pseudonyms: readonly string[]): Promise<Map<string, string>> {
      const result = await db.query<{ pseudonym: string; user_id: string }>('SELECT pseudonym, user_id FROM users WHERE pseudonym = ANY($1)', [pseudonyms]);
      return new Map(result.rows.map((row) => [row.pseudonym, row.user_id]));
    },

    /**
     * Records identify in one transaction: traits merged (a null trait removes it), contact points
     * replaced only where given, a push token attached to this user (moved from any other).
     */
    async identify(userId: string, pseudonym: string, update: ProfileUpdate): Promise<void> {
      await withTransaction(db, async (client) => {
        const result = await client.query<{ pseudonym: string }>(
          `INSERT INTO users (pseudonym, user_id, traits, email, phone, timezone, locale)
           VALUES ($1, $2, jsonb_strip_nulls($3::jsonb), $4, $5, $6, $7)
           ON CONFLICT (user_id) DO UPDATE SET
             traits = jsonb_strip_nulls(users.traits || $3::jsonb),
             email = COALESCE($4, users.email),
             phone = COALESCE($5, users.phone),
             timezone = COALESCE($6, users.timezone),
             locale = COALESCE($7, users.locale),
             last_seen_at = now(),
             updated_at = now()
           RETURNING pseudonym`,
          [pseudonym, userId, JSON.stringify(update.traits), update.email ?? null, update.phone ?? null, update.timezone ?? null, update.locale ?? null],
        );
        assertSameKey(result.rows[0]?.pseudonym, pseudonym);
        if (update.pushToken) {
          await client.query(
            `INSERT INTO push_tokens (token, pseudonym, platform) VALUES ($1, $2, $3)
             ON CONFLICT (token) DO UPDATE SET pseudonym = EXCLUDED.pseudonym, platform = COALESCE(EXCLUDED.platform, push_tokens.platform), last_seen_at = now()`,
            [update.pushToken.token, pseudonym, update.pushToken.platform ?? null],
          );
        }
      });
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
