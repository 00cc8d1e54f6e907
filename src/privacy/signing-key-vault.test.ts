import { createSigningKeyVault, deriveVaultKey } from './signing-key-vault';

describe('signing key vault', () => {
  const vault = createSigningKeyVault(deriveVaultKey('a-pseudonym-key-'.padEnd(40, 'x')));

  it('opens what it sealed, for the same row only', () => {
    const sealed = vault.seal('src_x.sk_secret', 'sk_1');
    expect(sealed.toString('utf8')).not.toContain('secret');
    expect(vault.open(sealed, 'sk_1')).toBe('src_x.sk_secret');
    expect(() => vault.open(sealed, 'sk_2')).toThrow();
  });

  it("cannot open another deployment's keys", () => {
    const other = createSigningKeyVault(deriveVaultKey('another-deployment-'.padEnd(40, 'y')));
    expect(() => other.open(vault.seal('src_x.sk_secret', 'sk_1'), 'sk_1')).toThrow();
  });
});
