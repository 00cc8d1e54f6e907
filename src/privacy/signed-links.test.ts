import { createLinkSigner, deriveLinkKey, type LinkClaims } from './signed-links';

const signer = createLinkSigner(deriveLinkKey('k'.repeat(32)));
const claims: LinkClaims = { purpose: 'click', deliveryKey: 'welcome:v1:abc:1:0', pseudonym: 'abc', channel: 'email', url: 'https://example.com/x?y=1' };

describe('signed links', () => {
  it('round-trips the claims of a link it signed', () => {
    expect(signer.verify(signer.sign(claims), 'click')).toEqual({ ok: true, claims });
  });

  it('rejects a token whose payload was altered', () => {
    const [, signature] = signer.sign(claims).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, url: 'https://evil.example' })).toString('base64url');
    expect(signer.verify(`${forged}.${signature}`, 'click')).toEqual({ ok: false, reason: 'has a bad signature' });
  });

  it('rejects a token signed with another key', () => {
    const other = createLinkSigner(deriveLinkKey('o'.repeat(32)));
    expect(signer.verify(other.sign(claims), 'click').ok).toBe(false);
  });

  it('rejects a link used for another purpose', () => {
    expect(signer.verify(signer.sign(claims), 'unsubscribe')).toEqual({ ok: false, reason: 'is a link for click, not for unsubscribe' });
  });

  it('rejects text that is not a token', () => {
    for (const junk of ['', 'abc', 'a.b.c', '.', '%%%.%%%']) expect(signer.verify(junk, 'click').ok).toBe(false);
  });
});
