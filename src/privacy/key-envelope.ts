import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: iv ‖ ciphertext ‖ tag; `aad` binds the ciphertext to what it belongs to. */
export function seal(key: Buffer, plain: Uint8Array, aad?: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

/** A 32-byte key from a configured secret (hex of 64 digits is taken as is, anything else is stretched with HKDF). */
export function keyFromSecret(secret: string, label: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(secret)) return Buffer.from(secret, 'hex');
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), label, 32));
}

export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/**
 * The master keys that wrap users' data keys: the current one wraps new keys, the old ones
 * (after a rotation) still unwrap the keys they wrapped, so history need not be re-encrypted.
 */
export interface MasterKeyRing {
  current: { id: string; key: Buffer };
  byId(id: string): Buffer | undefined;
}

export function createMasterKeyRing(current: string, old: readonly string[] = []): MasterKeyRing {
  const toKey = (secret: string) => keyFromSecret(secret, 'beckon master key v1');
  const keys = new Map<string, Buffer>();
  for (const secret of [current, ...old]) {
    const key = toKey(secret);
    keys.set(keyIdOf(key), key);
  }
  const currentKey = toKey(current);
  return { current: { id: keyIdOf(currentKey), key: currentKey }, byId: (id) => keys.get(id) };
}

/** A new random data key wrapped by the current master key; the wrapping is bound to its key id and pseudonym. */
export function newWrappedKey(ring: MasterKeyRing, keyId: string, pseudonym: string): { key: Buffer; wrapped: Buffer; masterKeyId: string } {
  const key = randomBytes(32);
  return { key, wrapped: seal(ring.current.key, key, Buffer.from(`${keyId}\u0000${pseudonym}`)), masterKeyId: ring.current.id };
}

/** A data key back from its wrapping; fails when the master key it names is no longer configured. */
export function unwrapKey(ring: MasterKeyRing, wrapped: Buffer, masterKeyId: string, keyId: string, pseudonym: string): Buffer {
  const master = ring.byId(masterKeyId);
  if (!master) throw new Error(`data key ${keyId} is wrapped by master key ${masterKeyId}, which is not configured (DATA_KEY_OLD_MASTER_KEYS)`);
  return open(master, wrapped, Buffer.from(`${keyId}\u0000${pseudonym}`));
}
