import type { Queryable } from './queryable';
import { withTransaction } from './transaction';

/** Stands for "every category of this channel" in `consents.category`. */
export const ANY_CATEGORY = '*';

export interface ConsentChoice {
  channel: string;
  /** A campaign category, or `*` for the whole channel. */
  category: string;
  granted: boolean;
}

export interface ConsentRecord extends ConsentChoice {
  source: string;
  changedAt: string;
}

interface ConsentRow {
  channel: string;
  category: string;
  granted: boolean;
  source: string;
  changed_at: Date;
}

const toRecord = (row: ConsentRow): ConsentRecord => ({
  channel: row.channel,
  category: row.category,
  granted: row.granted,
  source: row.source,
  changedAt: row.changed_at.toISOString(),
});

/** Consent and preferences: the current choice per (channel, category) and the history of every change. */
export function createConsentRepository(db: Queryable) {
  return {
    /** Records the choices at once, each with its source; the user must exist. */
    async record(pseudonym: string, choices: readonly ConsentChoice[], source: string): Promise<void> {
      await withTransaction(db, async (client) => {
        for (const choice of choices) {
          await client.query(
            `INSERT INTO consents (pseudonym, channel, category, granted, source, changed_at)
             VALUES ($1, $2, $3, $4, $5, now())
             ON CONFLICT (pseudonym, channel, category)
             DO UPDATE SET granted = EXCLUDED.granted, source = EXCLUDED.source, changed_at = EXCLUDED.changed_at`,
            [pseudonym, choice.channel, choice.category, choice.granted, source],
          );
          await client.query(
            `INSERT INTO consent_changes (pseudonym, channel, category, granted, source) VALUES ($1, $2, $3, $4, $5)`,
            [pseudonym, choice.channel, choice.category, choice.granted, source],
          );
        }
      });
    },

    /** The user's current choices, by channel then category; over a transaction's client the send path reads them under its lock. */
    async current(pseudonym: string): Promise<ConsentRecord[]> {
      const result = await db.query<ConsentRow>(
        `SELECT channel, category, granted, source, changed_at FROM consents WHERE pseudonym = $1 ORDER BY channel, category`,
        [pseudonym],
      );
      return result.rows.map(toRecord);
    },

    /** Every change, oldest first. */
    async history(pseudonym: string): Promise<ConsentRecord[]> {
      const result = await db.query<ConsentRow>(
        `SELECT channel, category, granted, source, changed_at FROM consent_changes WHERE pseudonym = $1 ORDER BY id`,
        [pseudonym],
      );
      return result.rows.map(toRecord);
    },
  };
}

export type ConsentRepository = ReturnType<typeof createConsentRepository>;
