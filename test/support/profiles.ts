import type { Pool } from 'pg';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { uniqueUserId } from './env';

export const testPseudonymKey = 'delivery-tests-pseudonym-key'.padEnd(48, 'x');
const pseudonymize = createPseudonymizer(testPseudonymKey);

export interface TestProfile {
  userId: string;
  pseudonym: string;
}

/** A user profile as identify would leave it (users + push_tokens), written directly: ingestion is another part's work. */
export async function createProfile(
  pool: Pool,
  profile: { label: string; email?: string; timezone?: string; traits?: Record<string, unknown>; pushTokens?: string[] },
): Promise<TestProfile> {
  const userId = uniqueUserId(profile.label);
  const pseudonym = pseudonymize(userId);
  await pool.query('INSERT INTO users (pseudonym, user_id, email, timezone, traits) VALUES ($1, $2, $3, $4, $5)', [
    pseudonym,
    userId,
    profile.email ?? null,
    profile.timezone ?? null,
    JSON.stringify(profile.traits ?? {}),
  ]);
  for (const token of profile.pushTokens ?? []) {
    await pool.query(`INSERT INTO push_tokens (token, pseudonym, platform) VALUES ($1, $2, 'android')`, [token, pseudonym]);
  }
  return { userId, pseudonym };
}

/** Records a consent choice as the consent API would (consents + consent_changes), at a given time. */
export async function recordConsent(pool: Pool, pseudonym: string, choice: { channel: string; category?: string; granted: boolean; at?: Date }): Promise<void> {
  const at = (choice.at ?? new Date()).toISOString();
  const category = choice.category ?? '*';
  await pool.query(
    `INSERT INTO consents (pseudonym, channel, category, granted, source, changed_at) VALUES ($1, $2, $3, $4, 'test', $5)
     ON CONFLICT (pseudonym, channel, category) DO UPDATE SET granted = EXCLUDED.granted, changed_at = EXCLUDED.changed_at`,
    [pseudonym, choice.channel, category, choice.granted, at],
  );
  await pool.query(`INSERT INTO consent_changes (pseudonym, channel, category, granted, source, changed_at) VALUES ($1, $2, $3, $4, 'test', $5)`, [
    pseudonym,
    choice.channel,
    category,
    choice.granted,
    at,
  ]);
}
