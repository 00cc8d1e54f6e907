import { createHmac } from 'node:crypto';

/**
 * Turns a user ID into the pseudonym that Temporal sees (workflow IDs, search attributes, memos).
 * Keyed HMAC-SHA256, so the same user always maps to the same workflow and nobody without the
 * key can reverse or recompute it. 128 bits of the digest keep IDs short and collisions negligible.
 */
export function createPseudonymizer(key: string): (userId: string) => string {
  if (key.length < 32) throw new Error('pseudonym key must be at least 32 characters');
  return (userId) => createHmac('sha256', key).update(userId, 'utf8').digest('base64url').slice(0, 22);
}
