import { allows, bearerToken, issueToken, parseToken, secretMatches } from './admin-token';

describe('admin tokens', () => {
  it('round-trip: an issued token parses to its id and its secret matches the stored hash', () => {
    const issued = issueToken();
    const parsed = parseToken(issued.token);
    expect(parsed?.id).toBe(issued.id);
    expect(secretMatches(parsed!.secret, issued.hash)).toBe(true);
  });

  it('rejects another secret and malformed tokens', () => {
    const a = issueToken();
    const b = issueToken();
    expect(secretMatches(parseToken(b.token)!.secret, a.hash)).toBe(false);
    expect(parseToken('bk_admin_short_x')).toBeUndefined();
    expect(parseToken(`${a.token}x`)).toBeUndefined();
    expect(secretMatches('anything', 'not-hex')).toBe(false);
  });

  it('scopes include the narrower ones: admin > operate > read', () => {
    expect(allows(['admin'], 'read')).toBe(true);
    expect(allows(['admin'], 'operate')).toBe(true);
    expect(allows(['operate'], 'read')).toBe(true);
    expect(allows(['operate'], 'admin')).toBe(false);
    expect(allows(['read'], 'operate')).toBe(false);
    expect(allows([], 'read')).toBe(false);
    expect(allows(['bogus'], 'read')).toBe(false);
  });

  it('reads Bearer headers only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
