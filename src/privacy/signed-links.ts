import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Links that Beckon puts in messages (unsubscribe, open pixel, click redirect) carry what they
 * are about in a token signed with HMAC-SHA256, so a link cannot be forged or altered and the
 * routes that receive them need no lookup to trust them.
 */
export type LinkPurpose = 'unsubscribe' | 'open' | 'click';

export interface LinkClaims {
  purpose: LinkPurpose;
  /** The delivery the link belongs to: `campaign:vN:pseudonym:entry:step`. */
  deliveryKey: string;
  pseudonym: string;
  channel: string;
  /** The target of a click link. */
  url?: string;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: string };

/** A key for links only, derived from the pseudonym key so deployments need no second secret. */
export function deriveLinkKey(pseudonymKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pseudonymKey, Buffer.alloc(0), 'beckon signed links v1', 32));
}

export function createLinkSigner(key: Buffer) {
  const mac = (payload: string): Buffer => createHmac('sha256', key).update(payload, 'utf8').digest();
  return {
    /** `<base64url JSON>.<base64url HMAC>`, safe in a URL path or query. */
    sign(claims: LinkClaims): string {
      const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },

    /** Checks the signature in constant time before reading anything the token says. */
    verify(token: string, purpose: LinkPurpose): LinkCheck {
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'is not a Beckon link token' };
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'has a bad signature' };
      let claims: LinkClaims;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
      } catch {
        return { ok: false, reason: 'is not a Beckon link token' };
      }
      if (claims.purpose !== purpose) return { ok: false, reason: `is a link for ${String(claims.purpose)}, not for ${purpose}` };
      return { ok: true, claims };
    },
  };
}

export type LinkSigner = ReturnType<typeof createLinkSigner>;
