import { createMasterKeyRing, newWrappedKey, unwrapKey } from './key-envelope';

describe('envelope encryption of data keys', () => {
  const first = 'first-master-key-'.padEnd(40, '1');
  const second = 'second-master-key-'.padEnd(40, '2');

  it('unwraps what it wrapped, bound to the key id and pseudonym', () => {
    const ring = createMasterKeyRing(first);
    const { key, wrapped, masterKeyId } = newWrappedKey(ring, 'k1', 'p1');
    expect(unwrapKey(ring, wrapped, masterKeyId, 'k1', 'p1').equals(key)).toBe(true);
    expect(() => unwrapKey(ring, wrapped, masterKeyId, 'k1', 'p2')).toThrow();
  });

  it('after a rotation, unwraps with the old key while it is listed, and names it when it is not', () => {
    const { key, wrapped, masterKeyId } = newWrappedKey(createMasterKeyRing(first), 'k1', 'p1');
    expect(unwrapKey(createMasterKeyRing(second, [first]), wrapped, masterKeyId, 'k1', 'p1').equals(key)).toBe(true);
    expect(() => unwrapKey(createMasterKeyRing(second), wrapped, masterKeyId, 'k1', 'p1')).toThrow(/not configured/);
  });
});
