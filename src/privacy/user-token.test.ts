import { issueSigningKey, mintStreamTicket, mintUserToken, parseStreamTicket, parseUserToken, signedBy, signingKeyMatches, hashSigningKey, sourceOfSigningKey } from './user-token';
import { createHmac } from 'node:crypto';

const SOURCE = 'src_abcdefgh1234';

describe('user tokens', () => {
  const key = issueSigningKey(SOURCE);

  it('is the HMAC-SHA256 the README shows an app computing by hand', () => {
    const unsigned = `ut1.${SOURCE}.${Buffer.from('ada@example.com').toString('base64url')}`;
    const byHand = `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
    expect(mintUserToken(key, 'ada@example.com')).toBe(byHand);
    expect(sourceOfSigningKey(key)).toBe(SOURCE);
  });

  it('reads back its claims and is signed by its key only', () => {
    const parsed = parseUserToken(mintUserToken(key, 'ünïcode user', { expiresAt: 1_900_000_000 }));
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.claims).toEqual(expect.objectContaining({ sourceId: SOURCE, userId: 'ünïcode user', expiresAt: 1_900_000_000 }));
    expect(signedBy(parsed.claims, [issueSigningKey(SOURCE), key])).toBe(true);
    expect(signedBy(parsed.claims, [issueSigningKey(SOURCE)])).toBe(false);
  });

  it('cannot be turned into a token for another user, another expiry, or a stream ticket', () => {
    const token = mintUserToken(key, 'ada', { expiresAt: 1_900_000_000 });
    const [prefix, source, user, expiry, signature] = token.split('.');
    const forged = [
      [prefix, source, Buffer.from('bob').toString('base64url'), expiry, signature],
      [prefix, source, user, '1999999999', signature],
      [prefix, source, user, signature],
    ].map((parts) => parts.join('.'));
    for (const text of forged) {
      const parsed = parseUserToken(text);
      expect(parsed.ok && signedBy(parsed.claims, [key])).toBe(false);
    }
    expect(parseStreamTicket(token).ok).toBe(false);
    expect(parseUserToken(mintStreamTicket(key, 'ada', 1_900_000_000)).ok).toBe(false);
  });

  it.each([
    ['', /not a Beckon user token/],
    ['ut1.src_abcdefgh1234.YWRh', /not a Beckon user token/],
    ['ut1.nope.YWRh.xxx', /names? (no|a) source|does not name a source/],
    ['ut1.src_abcdefgh1234.YWRh=.' + 'a'.repeat(43), /does not name a user/],
    ['ut1.src_abcdefgh1234.YWRh.soon.' + 'a'.repeat(43), /unix seconds/],
    ['ut1.src_abcdefgh1234.YWRh.short', /signature/],
  ])('refuses %j with the reason', (text, reason) => {
    const parsed = parseUserToken(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('signing keys', () => {
  it('are checked against their hash', () => {
    const key = issueSigningKey(SOURCE);
    expect(signingKeyMatches(key, [hashSigningKey(issueSigningKey(SOURCE)), hashSigningKey(key)])).toBe(true);
    expect(signingKeyMatches(`${key}x`, [hashSigningKey(key)])).toBe(false);
    expect(sourceOfSigningKey(`${SOURCE}.writekeylookingthingxxxxxxx`)).toBeUndefined();
  });
});
