import { derivePayloadKey, EncryptionCodec } from '../../src/temporal/payload-codec';
import { codecPer, meteredCodec } from './codec-meter';

describe('meteredCodec', () => {
  const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":1}') };

  it('counts payloads and bytes each way and hands them on unchanged', async () => {
    const inner = new EncryptionCodec(derivePayloadKey('k'.repeat(40)));
    const { codec, tally } = meteredCodec(inner);
    const before = tally();
    const sealed = await codec.encode([payload, payload]);
    const opened = await codec.decode(sealed);
    expect(Buffer.from(opened[0]!.data!).toString()).toBe('{"a":1}');
    const after = tally();
    expect(after).toMatchObject({ encodeCalls: 1, encoded: 2, encodedBytes: 14, decodeCalls: 1, decoded: 2 });
    expect(after.decodedBytes).toBe(sealed.reduce((sum, p) => sum + p.data!.length, 0));
    expect(codecPer(before, after, 2)).toMatchObject({ encoded: 1, decoded: 1, bytesPerEncoded: 7 });
  });

  it('stays an EncryptionCodec, so the worker still follows key destructions through it', () => {
    const { codec } = meteredCodec(new EncryptionCodec(derivePayloadKey('k'.repeat(40))));
    expect(codec).toBeInstanceOf(EncryptionCodec);
    expect(() => codec.forgetAllUserKeys()).not.toThrow();
  });
});
