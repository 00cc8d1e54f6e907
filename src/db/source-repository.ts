import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SigningKeyVault } from '../privacy/signing-key-vault';
import { hashSigningKey, issueSigningKey } from '../privacy/user-token';
import type { Queryable } from './queryable';

/**
 * Sources and their keys. A write key reads `<source id>.<secret>`: the id finds the row, and the
 * SHA-256 of the whole key is compared in constant time with the stored hash. A signing key (for
 * user tokens, see privacy/user-token.ts) is kept as a hash and sealed by the vault. Both are shown
 * once, at creation, and never stored in clear.
 */
export type ClientAuth = 'required' | 'optional';
export const CLIENT_AUTH_MODES: readonly ClientAuth[] = ['required', 'optional'];

export interface Source {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  /** `required`: the client routes take user tokens only; `optional` (sources from before tokens): the write key opens them too. */
  clientAuth: ClientAuth;
  /** Browser origins allowed to call the client routes (CORS); none by default. */
  allowedOrigins: string[];
}

/** A live signing key of a source, opened: what checks the HMAC of user tokens. */
export interface SigningKey {
  id: string;
  key: string;
  hash: Buffer;
  createdAt: string;
  /** Set on a key being rotated out: accepted until then. */
  expiresAt: string | null;
}

export interface SigningKeyInfo {
  id: string;
  createdAt: string;
  expiresAt: string | null;
}

interface SourceRow {
  id: string;
  name: string;
  key_hash: Buffer;
  created_at: Date;
  revoked_at: Date | null;
  client_auth: ClientAuth;
  allowed_origins: string[];
}

interface SigningKeyRow {
  id: string;
  key_hash: Buffer;
  key_sealed: Buffer;
  created_at: Date;
  expires_at: Date | null;
}

const SOURCE_COLUMNS = 'id, name, key_hash, created_at, revoked_at, client_auth, allowed_origins';
const LIVE_KEY = '(expires_at IS NULL OR expires_at > now())';

const toSource = (row: SourceRow): Source => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
  clientAuth: row.client_auth,
  allowedOrigins: row.allowed_origins,
});

const newKeyId = (): string => `sk_${randomBytes(9).toString('base64url')}`;
const hashKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The id part of a write key, or undefined when the text cannot be one. */
export function sourceIdOf(writeKey: string): string | undefined {
  const match = /^(src_[A-Za-z0-9_-]{8,64})\.[A-Za-z0-9_-]{20,200}$/.exec(writeKey);
  return match?.[1];
}

/** `vault` seals and opens signing keys; without it the repository serves write keys only. */
export function createSourceRepository(db: Queryable, vault?: SigningKeyVault) {
  const needVault = (): SigningKeyVault => {
    if (!vault) throw new Error('signing keys need the vault (createSourceRepository(db, createSigningKeyVault(deriveVaultKey(PSEUDONYM_KEY))))');
    return vault;
  };

  return {
    /** A new source, requiring user tokens unless told otherwise; the returned keys are the only time they exist in clear. */
    async create(
      name: string,
      options: { writeKey?: string; signingKey?: string; clientAuth?: ClientAuth } = {},
    ): Promise<{ source: Source; writeKey: string; signingKey: string }> {
      const key = options.writeKey ?? `src_${randomBytes(9).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
      const id = sourceIdOf(key);
      if (!id) throw new Error('a write key must read src_<id>.<secret>');
      const signingKey = options.signingKey ?? issueSigningKey(id);
      const keyId = newKeyId();
      // One statement: a source is never left without its signing key.
      const result = await db.query<SourceRow>(
        `WITH source AS (
           INSERT INTO sources (id, name, key_hash, client_auth) VALUES ($1, $2, $3, $4) RETURNING ${SOURCE_COLUMNS}
         ), signing AS (
           INSERT INTO source_signing_keys (id, source_id, key_hash, key_sealed) SELECT $5, id, $6, $7 FROM source
         )
         SELECT * FROM source`,
        [id, name, hashKey(key), options.clientAuth ?? 'required', keyId, hashSigningKey(signingKey), needVault().seal(signingKey, keyId)],
      );
      return { source: toSource(result.rows[0] as SourceRow), writeKey: key, signingKey };
    },

    /** The live source this key belongs to, or undefined for an unknown, wrong or revoked key. */
    async authenticate(writeKey: string): Promise<Source | undefined> {
      const id = sourceIdOf(writeKey);
      if (!id) return undefined;
      const result = await db.query<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE id = $1`, [id]);
      const row = result.rows[0];
      if (!row || row.revoked_at) return undefined;
      return timingSafeEqual(row.key_hash, hashKey(writeKey)) ? toSource(row) : undefined;
    },

    /** A live source by id, or undefined. */
    async find(id: string): Promise<Source | undefined> {
      const result = await db.query<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE id = $1 AND revoked_at IS NULL`, [id]);
      return result.rows[0] ? toSource(result.rows[0]) : undefined;
    },

    /** The source's signing keys still accepted, opened, newest first. */
    async signingKeys(sourceId: string): Promise<SigningKey[]> {
      const open = needVault();
      const result = await db.query<SigningKeyRow>(
        `SELECT id, key_hash, key_sealed, created_at, expires_at FROM source_signing_keys WHERE source_id = $1 AND ${LIVE_KEY} ORDER BY created_at DESC, id`,
        [sourceId],
      );
      return result.rows.map((row) => ({
        id: row.id,
        key: open.open(row.key_sealed, row.id),
        hash: row.key_hash,
        createdAt: row.created_at.toISOString(),
        expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
      }));
    },

    /**
     * A new signing key; the keys live until now stay accepted for `overlapMs` more (0 ends them at
     * once), so tokens the app already handed out keep working while it switches.
     */
    async rotateSigningKey(sourceId: string, overlapMs: number): Promise<{ signingKey: string; retiring: SigningKeyInfo[] } | undefined> {
      if (!(await this.find(sourceId))) return undefined;
      const signingKey = issueSigningKey(sourceId);
      const id = newKeyId();
      // One statement, so a failure leaves the old keys as they were.
      const retired = await db.query<SigningKeyRow>(
        `WITH retired AS (
           UPDATE source_signing_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + $2::double precision * interval '1 millisecond')
            WHERE source_id = $1 AND ${LIVE_KEY} RETURNING id, created_at, expires_at
         ), added AS (
           INSERT INTO source_signing_keys (id, source_id, key_hash, key_sealed) VALUES ($3, $1, $4, $5)
         )
         SELECT id, created_at, expires_at FROM retired ORDER BY created_at, id`,
        [sourceId, overlapMs, id, hashSigningKey(signingKey), needVault().seal(signingKey, id)],
      );
      const retiring = retired.rows.map((row) => ({ id: row.id, createdAt: row.created_at.toISOString(), expiresAt: row.expires_at?.toISOString() ?? null }));
      return { signingKey, retiring };
    },

    /** The source's live signing keys, without their secrets, oldest first. */
    async signingKeyInfo(sourceId: string): Promise<SigningKeyInfo[]> {
      const result = await db.query<SigningKeyRow>(
        `SELECT id, created_at, expires_at FROM source_signing_keys WHERE source_id = $1 AND ${LIVE_KEY} ORDER BY created_at, id`,
        [sourceId],
      );
      return result.rows.map((row) => ({ id: row.id, createdAt: row.created_at.toISOString(), expiresAt: row.expires_at?.toISOString() ?? null }));
    },

    async setClientAuth(id: string, mode: ClientAuth): Promise<boolean> {
      const result = await db.query('UPDATE sources SET client_auth = $2 WHERE id = $1 AND revoked_at IS NULL', [id, mode]);
      return (result.rowCount ?? 0) > 0;
    },

    /** Replaces the origins allowed to call the client routes (an empty list allows none). */
    async setAllowedOrigins(id: string, origins: string[]): Promise<boolean> {
      const result = await db.query('UPDATE sources SET allowed_origins = $2 WHERE id = $1 AND revoked_at IS NULL', [id, origins]);
      return (result.rowCount ?? 0) > 0;
    },

    /** Every origin some live source allows: what a CORS preflight, which carries no credentials, is checked against. */
    async anyAllowedOrigins(): Promise<Set<string>> {
      const result = await db.query<{ origin: string }>('SELECT DISTINCT unnest(allowed_origins) AS origin FROM sources WHERE revoked_at IS NULL');
      return new Set(result.rows.map((row) => row.origin));
    },

    async list(): Promise<Source[]> {
      const result = await db.query<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM sources ORDER BY created_at, id`);
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

/** A browser origin as CORS compares it: scheme, host and port, nothing after. */
export function normaliseOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin === 'null') return undefined;
    if (url.pathname !== '/' || url.search || url.hash || url.username) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
