import { randomBytes } from 'node:crypto';
import type { Queryable } from './queryable';

/** The channel a key's destruction is notified on (on commit), with the key's id: every process's codec drops it (data-key-feed.ts). */
export const DATA_KEY_DESTROYED_CHANNEL = 'beckon_data_key_destroyed';

/** A user's data key as stored: wrapped by the master key `masterKeyId`. */
export interface StoredDataKey {
  keyId: string;
  pseudonym: string;
  wrapped: Buffer;
  masterKeyId: string;
}

interface Row {
  key_id: string;
  pseudonym: string;
  wrapped: Buffer;
  master_key_id: string;
}

const stored = (row: Row): StoredDataKey => ({ keyId: row.key_id, pseudonym: row.pseudonym, wrapped: row.wrapped, masterKeyId: row.master_key_id });

/** The user's data key is gone for good: the user was erased and is suppressed. */
export class DataKeyDestroyedError extends Error {
  constructor(pseudonym: string) {
    super(`the data key of ${pseudonym} was destroyed by an erasure; nothing more is written for this user`);
    this.name = 'DataKeyDestroyedError';
  }
}

/** Users' payload keys (envelope encryption): one random key per pseudonym, created on first use, destroyed by erasure. */
export function createDataKeyRepository(db: Queryable) {
  return {
    /** The pseudonym's key, made with `wrap` if it has none; refused for a suppressed (erased) pseudonym. */
    async getOrCreate(pseudonym: string, wrap: (keyId: string) => { wrapped: Buffer; masterKeyId: string }): Promise<StoredDataKey> {
      const existing = await db.query<Row>('SELECT * FROM user_data_keys WHERE pseudonym = $1', [pseudonym]);
      if (existing.rows[0]) return stored(existing.rows[0]);
      const keyId = randomBytes(12).toString('base64url');
      const { wrapped, masterKeyId } = wrap(keyId);
      // Two processes may race to make the first key: the first insert wins and both use it.
      const result = await db.query<Row>(
        `WITH inserted AS (
           INSERT INTO user_data_keys (key_id, pseudonym, wrapped, master_key_id)
           SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE pseudonym = $2 AND lifted_at IS NULL)
           ON CONFLICT (pseudonym) DO NOTHING
           RETURNING *
         )
         SELECT * FROM inserted UNION ALL SELECT * FROM user_data_keys WHERE pseudonym = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`,
        [keyId, pseudonym, wrapped, masterKeyId],
      );
      if (!result.rows[0]) throw new DataKeyDestroyedError(pseudonym);
      return stored(result.rows[0]);
    },

    async byId(keyId: string): Promise<StoredDataKey | undefined> {
      const result = await db.query<Row>('SELECT * FROM user_data_keys WHERE key_id = $1', [keyId]);
      return result.rows[0] && stored(result.rows[0]);
    },

    /** Re-wraps a key under the current master key (after a rotation); the data key itself stays. */
    async rewrap(keyId: string, wrapped: Buffer, masterKeyId: string): Promise<void> {
      await db.query('UPDATE user_data_keys SET wrapped = $2, master_key_id = $3 WHERE key_id = $1', [keyId, wrapped, masterKeyId]);
    },

    /** Destroys the keys of these pseudonyms, and tells every process to drop them from its cache; returns how many. */
    async destroy(pseudonyms: readonly string[]): Promise<number> {
      const result = await db.query<{ key_id: string }>(
        `WITH gone AS (DELETE FROM user_data_keys WHERE pseudonym = ANY($1::text[]) RETURNING key_id)
         SELECT key_id, pg_notify($2, key_id) FROM gone`,
        [pseudonyms, DATA_KEY_DESTROYED_CHANNEL],
      );
      return result.rowCount ?? 0;
    },
  };
}

export type DataKeyRepository = ReturnType<typeof createDataKeyRepository>;
