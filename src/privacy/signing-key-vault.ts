import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Source signing keys at rest. Beckon must compute the HMAC of a user token to check it, so it needs
 * the key itself, not a hash of it: each key is kept sealed with AES-256-GCM under a key derived from
 * PSEUDONYM_KEY (which every API replica has and the database does not), bound to its row by the
 * associated data, so a copy of the database alone can neither read a key nor mint a token.
 */
export function deriveVaultKey(pseudonymKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pseudonymKey, Buffer.alloc(0), 'beckon source signing keys v1', 32));
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSigningKeyVault(key: Buffer) {
  if (key.length !== 32) throw new Error('the signing key vault needs a 32-byte key');
  return {
    /** `iv | tag | ciphertext`; `context` (the key's id) must be given again to open it. */
    seal(secret: string, context: string): Buffer {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context, 'utf8'));
      const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
    },

    /** The secret, or an error when the data was altered, moved to another row, or sealed under another deployment's key. */
    open(sealed: Buffer, context: string): string {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(context, 'utf8'))
        .setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}

export type SigningKeyVault = ReturnType<typeof createSigningKeyVault>;
