import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from './queryable';

/**
 * Sources and their write keys. A key reads `<source id>.<secret>`: the id finds the row, and the
 * SHA-256 of the whole key is compared in constant time with the stored hash. The key itself is
 * shown once, at creation, and never stored.
 */
export interface Source {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

interface SourceRow {
  id: string;
  name: string;
  key_hash: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

const toSource = (row: SourceRow): Source => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
});

const hashKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The id part of a write key, or undefined when the text cannot be one. */
export function sourceIdOf(writeKey: string): string | undefined {
  const match = /^(src_[A-Za-z0-9_-]{8,64})\.[A-Za-z0-9_-]{20,200}$/.exec(writeKey);
  return match?.[1];
}

export function createSourceRepository(db: Queryable) {
  return {
    /** A new source; the returned write key is the only time it exists in clear. */
    async create(name: string, writeKey?: string): Promise<{ source: Source; writeKey: string }> {
      const key = writeKey ?? `src_${randomBytes(9).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
      const id = sourceIdOf(key);
      if (!id) throw new Error('a write key must read src_<id>.<secret>');
      const result = await db.query<SourceRow>(
        'INSERT INTO sources (id, name, key_hash) VALUES ($1, $2, $3) RETURNING id, name, key_hash, created_at, revoked_at',
        [id, name, hashKey(key)],
      );
      return { source: toSource(result.rows[0] as SourceRow), writeKey: key };
    },

    /** The live source this key belongs to, or undefined for an unknown, wrong or revoked key. */
    async authenticate(writeKey: string): Promise<Source | undefined> {
      const id = sourceIdOf(writeKey);
      if (!id) return undefined;
      const result = await db.query<SourceRow>(
        'SELECT id, name, key_hash, created_at, revoked_at FROM sources WHERE id = $1',
        [id],
      );
      const row = result.rows[0];
      if (!row || row.revoked_at) return undefined;
      return timingSafeEqual(row.key_hash, hashKey(writeKey)) ? toSource(row) : undefined;
    },

    async list(): Promise<Source[]> {
      const result = await db.query<SourceRow>('SELECT id, name, key_hash, created_at, revoked_at FROM sources ORDER BY created_at, id');
      return result.rows.map(toSource);
    },

    /** Revokes the key for good; returns false for an unknown or already revoked source. */
    async revoke(id: string): Promise<boolean> {
      const result = await db.query('UPDATE sources SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}

export type SourceRepository = ReturnType<typeof createSourceRepository>;
