import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The credentials of the client routes (a user's inbox, its stream, their consent).
 *
 * - A source's signing key, `<source id>.sk_<secret>`: secret, kept on the app's server.
 * - A user token, `ut1.<source id>.<base64url user ID>[.<expiry, unix seconds>].<signature>`, where the
 *   signature is base64url(HMAC-SHA256(signing key, everything before it)). The app's server makes it
 *   for the signed-in user without calling Beckon; the client sends it as `Authorization: Bearer`.
 * - A stream ticket, `st1.<source id>.<base64url user ID>.<expiry>.<nonce>.<signature>`: made by Beckon
 *   from a user token, for one `EventSource` connection (which cannot send headers), valid seconds.
 *
 * The prefixes keep the three apart: no signature made for one kind is valid as another.
 */
const SOURCE_ID = /^src_[A-Za-z0-9_-]{8,64}$/;
const SIGNING_KEY = /^(src_[A-Za-z0-9_-]{8,64})\.sk_[A-Za-z0-9_-]{43}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const UNIX_SECONDS = /^[1-9]\d{0,11}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

export const USER_TOKEN_PREFIX = 'ut1';
export const STREAM_TICKET_PREFIX = 'st1';

/** A new signing key for a source: 256 bits of secret behind the source id. */
export function issueSigningKey(sourceId: string): string {
  if (!SOURCE_ID.test(sourceId)) throw new Error(`not a source id: ${sourceId}`);
  return `${sourceId}.sk_${randomBytes(32).toString('base64url')}`;
}

/** The source a signing key belongs to, or undefined when the text is not a signing key. */
export function sourceOfSigningKey(key: string): string | undefined {
  return SIGNING_KEY.exec(key)?.[1];
}

/** SHA-256 of a signing key: what checks it when an app's server presents it (keys are random, a slow hash adds nothing). */
export function hashSigningKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** True when `given` is one of `hashes`, each compared in constant time. */
export function signingKeyMatches(given: string, hashes: readonly Buffer[]): boolean {
  const hash = hashSigningKey(given);
  let match = false;
  for (const stored of hashes) if (stored.length === hash.length && timingSafeEqual(stored, hash)) match = true;
  return match;
}

const sign = (key: string, unsigned: string): string => createHmac('sha256', key).update(unsigned, 'utf8').digest('base64url');
const encodeUser = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');

/** A user token for `userId`; with `expiresAt` (unix seconds) it is refused after that second. */
export function mintUserToken(signingKey: string, userId: string, options: { expiresAt?: number } = {}): string {
  const sourceId = sourceOfSigningKey(signingKey);
  if (!sourceId) throw new Error('not a signing key');
  const parts = [USER_TOKEN_PREFIX, sourceId, encodeUser(userId), ...(options.expiresAt !== undefined ? [String(Math.floor(options.expiresAt))] : [])];
  const unsigned = parts.join('.');
  return `${unsigned}.${sign(signingKey, unsigned)}`;
}

/** A stream ticket for `userId`, valid until `expiresAt` (unix seconds); the nonce makes it single-use. */
export function mintStreamTicket(signingKey: string, userId: string, expiresAt: number, nonce = randomBytes(16).toString('base64url')): string {
  const sourceId = sourceOfSigningKey(signingKey);
  if (!sourceId) throw new Error('not a signing key');
  const unsigned = [STREAM_TICKET_PREFIX, sourceId, encodeUser(userId), String(Math.floor(expiresAt)), nonce].join('.');
  return `${unsigned}.${sign(signingKey, unsigned)}`;
}

export interface SignedClaims {
  sourceId: string;
  userId: string;
  /** Unix seconds; absent on a user token that does not expire. */
  expiresAt?: number;
  /** Stream tickets only. */
  nonce?: string;
  /** What the signature covers, and the signature; check them with `signedBy`. */
  unsigned: string;
  signature: string;
}

export type ParsedCredential = { ok: true; claims: SignedClaims } | { ok: false; reason: string };

function decodeUser(text: string): string | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const userId = Buffer.from(text, 'base64url').toString('utf8');
  // Only the canonical encoding: one user ID, one token text.
  return userId && encodeUser(userId) === text ? userId : undefined;
}

/** Reads a user token's claims without trusting them: the signature is checked by `signedBy`. */
export function parseUserToken(token: string): ParsedCredential {
  const parts = token.split('.');
  if (parts[0] !== USER_TOKEN_PREFIX || (parts.length !== 4 && parts.length !== 5)) return { ok: false, reason: 'is not a Beckon user token (ut1.<source>.<user>[.<expiry>].<signature>)' };
  return readClaims(parts, parts.length === 5 ? parts[3] : undefined, undefined);
}

/** Reads a stream ticket's claims without trusting them. */
export function parseStreamTicket(ticket: string): ParsedCredential {
  const parts = ticket.split('.');
  if (parts[0] !== STREAM_TICKET_PREFIX || parts.length !== 6) return { ok: false, reason: 'is not a stream ticket (get one from POST /v1/users/:userId/inbox/stream-ticket)' };
  if (!BASE64URL.test(parts[4]!) || parts[4]!.length > 64) return { ok: false, reason: 'is not a stream ticket' };
  return readClaims(parts, parts[3], parts[4]);
}

function readClaims(parts: string[], expiry: string | undefined, nonce: string | undefined): ParsedCredential {
  const sourceId = parts[1]!;
  const userId = decodeUser(parts[2]!);
  const signature = parts[parts.length - 1]!;
  if (!SOURCE_ID.test(sourceId)) return { ok: false, reason: 'does not name a source' };
  if (userId === undefined) return { ok: false, reason: 'does not name a user (base64url of the user ID)' };
  if (expiry !== undefined && !UNIX_SECONDS.test(expiry)) return { ok: false, reason: 'has an expiry that is not unix seconds' };
  if (!SIGNATURE.test(signature)) return { ok: false, reason: 'has no HMAC-SHA256 signature (base64url, 43 characters)' };
  return {
    ok: true,
    claims: {
      sourceId,
      userId,
      ...(expiry !== undefined && { expiresAt: Number(expiry) }),
      ...(nonce !== undefined && { nonce }),
      unsigned: parts.slice(0, -1).join('.'),
      signature,
    },
  };
}

/** True when one of `keys` made the signature; every key is tried, each compared in constant time. */
export function signedBy(claims: SignedClaims, keys: readonly string[]): boolean {
  const given = Buffer.from(claims.signature, 'base64url');
  let match = false;
  for (const key of keys) {
    const expected = Buffer.from(sign(key, claims.unsigned), 'base64url');
    if (expected.length === given.length && timingSafeEqual(expected, given)) match = true;
  }
  return match;
}
