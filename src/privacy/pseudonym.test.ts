import { createPseudonymizer } from './pseudonym';

const key = 'k'.repeat(32);

describe('createPseudonymizer', () => {
  it('maps a user ID to the same short, URL-safe pseudonym every time', () => {
    const pseudonymize = createPseudonymizer(key);
    expect(pseudonymize('ada@example.com')).toBe(pseudonymize('ada@example.com'));
    expect(pseudonymize('ada@example.com')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(pseudonymize('ada@example.com')).not.toContain('ada');
  });

  it('gives other pseudonyms under another key and for other users', () => {
    const a = createPseudonymizer(key);
    const b = createPseudonymizer('q'.repeat(32));
    expect(a('ada')).not.toBe(b('ada'));
    expect(a('ada')).not.toBe(a('bob'));
  });

  it('refuses a short key', () => {
    expect(() => createPseudonymizer('short')).toThrow(/at least 32/);
  });
});
