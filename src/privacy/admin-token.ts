import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What an admin token may do; each scope includes the ones before it. */
export const ADMIN_SCOPES = ['read', 'operate', 'admin'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** `bk_admin_<id>_<secret>`: the id finds the row, the secret is checked against its hash. */
const TOKEN_PATTERN = /^bk_admin_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  token: string;
  hash: string;
}

/** A new token: 12 characters of id, 256 bits of secret. */
export function issueToken(): IssuedToken {
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `bk_admin_${id}_${secret}`, hash: hashSecret(secret) };
}

/** The secret's SHA-256: tokens are random, so a slow hash would add nothing. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** Compares in constant time, so response times leak nothing about the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** True when the granted scopes include `needed` or a broader one. */
export function allows(granted: readonly string[], needed: AdminScope): boolean {
  const rank = ADMIN_SCOPES.indexOf(needed);
  return granted.some((scope) => ADMIN_SCOPES.indexOf(scope as AdminScope) >= rank);
}

/** The token from an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
