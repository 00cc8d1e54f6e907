import type { Queryable } from './queryable';
import { issueToken, parseToken, secretMatches, type AdminScope } from '../privacy/admin-token';

export interface AdminTokenRecord {
  id: string;
  name: string;
  scopes: AdminScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  scopes: AdminScope[];
  token_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const record = (row: Row): AdminTokenRecord => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

/** Admin tokens of the ops API: hashes only; a revoked token stays listed but opens nothing. */
export function createAdminTokenRepository(db: Queryable) {
  return {
    /** Makes a token; the returned `token` is the only time its secret exists in clear. */
    async create(name: string, scopes: AdminScope[]): Promise<{ token: string; record: AdminTokenRecord }> {
      const issued = issueToken();
      const result = await db.query<Row>(
        'INSERT INTO admin_tokens (id, name, token_hash, scopes) VALUES ($1, $2, $3, $4) RETURNING *',
        [issued.id, name, issued.hash, scopes],
      );
      return { token: issued.token, record: record(result.rows[0]!) };
    },

    /** The token's record when it is well formed, known, unrevoked and its secret matches; records the use. */
    async verify(token: string): Promise<AdminTokenRecord | undefined> {
      const parsed = parseToken(token);
      if (!parsed) return undefined;
      const result = await db.query<Row>('SELECT * FROM admin_tokens WHERE id = $1 AND revoked_at IS NULL', [parsed.id]);
      const row = result.rows[0];
      if (!row || !secretMatches(parsed.secret, row.token_hash)) return undefined;
      // At most once a minute, so a busy script does not write on every call.
      await db.query(`UPDATE admin_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [row.id]);
      return record(row);
    },

    async list(): Promise<AdminTokenRecord[]> {
      const result = await db.query<Row>('SELECT * FROM admin_tokens ORDER BY created_at, id');
      return result.rows.map(record);
    },

    /** False when there is no such token or it was already revoked. */
    async revoke(id: string): Promise<boolean> {
      const result = await db.query('UPDATE admin_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}

export type AdminTokenRepository = ReturnType<typeof createAdminTokenRepository>;
