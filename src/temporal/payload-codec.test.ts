import { defaultPayloadConverter } from '@temporalio/common';
import { payloadCodecFor, pseudonymOfWorkflow } from './payload-codec';

const codec = payloadCodecFor('k'.repeat(40));
const payload = defaultPayloadConverter.toPayload({ email: 'ada@example.com', plan: 'pro' });

describe('EncryptionCodec', () => {
  it('round-trips a payload and leaves nothing of it readable', async () => {
    const [encrypted] = await codec.encode([payload]);
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toContain('ada@example.com');
    expect(Buffer.from(encrypted!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ email: 'ada@example.com', plan: 'pro' });
  });

  it('encrypts the same payload differently each time (a fresh IV)', async () => {
    const [a] = await codec.encode([payload]);
    const [b] = await codec.encode([payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes unencrypted payloads through, so older histories stay readable', async () => {
    expect(await codec.decode([payload])).toEqual([payload]);
  });

  it('refuses a payload of another key, and a tampered one', async () => {
    const [encrypted] = await codec.encode([payload]);
    await expect(payloadCodecFor('o'.repeat(40)).decode([encrypted!])).rejects.toThrow(/PSEUDONYM_KEY differs/);
    const data = Buffer.from(encrypted!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow();
  });
});

describe('pseudonymOfWorkflow', () => {
  it("finds the user in a user's, a visitor's and a journey's workflow ID, and none in others", () => {
    expect(pseudonymOfWorkflow('user:AbC_-12')).toBe('AbC_-12');
    expect(pseudonymOfWorkflow('journey:pricing-no-purchase:AbC_-12:3')).toBe('AbC_-12');
    expect(pseudonymOfWorkflow('erasure:AbC_-12')).toBeUndefined();
    expect(pseudonymOfWorkflow('journey:welcome:AbC:x')).toBeUndefined();
    expect(pseudonymOfWorkflow(undefined)).toBeUndefined();
  });
});
