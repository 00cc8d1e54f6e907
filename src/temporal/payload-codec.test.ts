import { defaultPayloadConverter } from '@temporalio/common';
import type { DataKeyRepository, StoredDataKey } from '../db/data-key-repository';
import { createMasterKeyRing } from '../privacy/key-envelope';
import { derivePayloadKey, EncryptionCodec, KEY_CACHE_TTL_MS, payloadCodecFor, pseudonymOfWorkflow } from './payload-codec';

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

/** A key store in memory, as Postgres holds it (user_data_keys), with a way to destroy a key as an erasure in another process does. */
function memoryKeyStore() {
  const rows = new Map<string, StoredDataKey>();
  let nextId = 0;
  const repository: DataKeyRepository = {
    async getOrCreate(pseudonym, wrap) {
      const found = [...rows.values()].find((row) => row.pseudonym === pseudonym);
      if (found) return found;
      const keyId = `k${(nextId += 1)}`;
      const row = { keyId, pseudonym, ...wrap(keyId) };
      rows.set(keyId, row);
      return row;
    },
    async byId(keyId) {
      return rows.get(keyId);
    },
    async rewrap() {},
    async destroy(pseudonyms) {
      const gone = [...rows.values()].filter((row) => pseudonyms.includes(row.pseudonym));
      for (const row of gone) rows.delete(row.keyId);
      return gone.length;
    },
  };
  return { repository, rows, keyIdOf: (pseudonym: string) => [...rows.values()].find((row) => row.pseudonym === pseudonym)?.keyId };
}

describe("EncryptionCodec's cache of users' keys", () => {
  const ring = createMasterKeyRing('master-test-key');
  const ada = { type: 'workflow' as const, namespace: 'default', workflowId: 'user:ada' };
  const bob = { type: 'workflow' as const, namespace: 'default', workflowId: 'journey:welcome:bob:1' };

  afterEach(() => jest.restoreAllMocks());

  it('drops a key destroyed elsewhere when the notification names it, and keeps the others', async () => {
    const store = memoryKeyStore();
    const writer = new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring });
    const reader = new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring }, { ttlMs: 3_600_000 });
    const adas = await writer.encode([payload], ada);
    const bobs = await writer.encode([payload], bob);
    await reader.decode([...adas, ...bobs]);
    const adaKey = store.keyIdOf('ada')!;
    await store.repository.destroy(['ada']);
    // Still cached: without a notification only the expiry would end it.
    await expect(reader.decode(adas)).resolves.toHaveLength(1);
    reader.forgetKeys([adaKey]);
    await expect(reader.decode(adas)).rejects.toThrow(/destroyed/);
    expect(defaultPayloadConverter.fromPayload((await reader.decode(bobs))[0]!)).toEqual({ email: 'ada@example.com', plan: 'pro' });
  });

  it('looks a key up once whether it is first needed to encode for its user or to decode by its id', async () => {
    const store = memoryKeyStore();
    const api = new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring });
    const worker = new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring });
    const fromApi = await api.encode([payload], ada);
    const byId = jest.spyOn(store.repository, 'byId');
    const getOrCreate = jest.spyOn(store.repository, 'getOrCreate');
    await worker.decode(fromApi);
    await worker.encode([payload], ada);
    await worker.decode(await worker.encode([payload], bob));
    expect(byId).toHaveBeenCalledTimes(1);
    expect(getOrCreate).toHaveBeenCalledTimes(1);
    expect(worker.stats).toEqual({ hits: 2, misses: 2 });
    // One entry, two names: forgetting the user drops it under both.
    worker.forgetUsers(['ada']);
    await store.repository.destroy(['ada']);
    await expect(worker.decode(fromApi)).rejects.toThrow(/destroyed/);
  });

  it('expires a cached key within its time to live when no notification comes', async () => {
    const store = memoryKeyStore();
    const codec = new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring });
    const adas = await codec.encode([payload], ada);
    const bobs = await codec.encode([payload], bob);
    await codec.decode([...adas, ...bobs]);
    await store.repository.destroy(['ada']);
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + KEY_CACHE_TTL_MS - 1_000);
    await expect(codec.decode(adas)).resolves.toHaveLength(1);
    jest.spyOn(Date, 'now').mockReturnValue(now + KEY_CACHE_TTL_MS + 1_000);
    await expect(codec.decode(adas)).rejects.toThrow(/destroyed/);
    await expect(codec.decode(bobs)).resolves.toHaveLength(1);
  });

  it('refuses a key whose look-up raced its destruction, and forgets every key after missed notifications', async () => {
    const store = memoryKeyStore();
    const codec = new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring }, { ttlMs: 3_600_000 });
    const adas = await new EncryptionCodec(derivePayloadKey('k'.repeat(40)), { repository: store.repository, ring }).encode([payload], ada);
    const adaKey = store.keyIdOf('ada')!;
    // The row is read, then the key is destroyed and its notification handled, then the look-up finishes.
    let release: () => void = () => {};
    const byId = store.repository.byId.bind(store.repository);
    store.repository.byId = async (id) => {
      const row = await byId(id);
      await new Promise<void>((resolve) => (release = resolve));
      return row;
    };
    const decoding = codec.decode(adas);
    await new Promise((resolve) => setImmediate(resolve));
    codec.forgetKeys([adaKey]);
    release();
    await expect(decoding).rejects.toThrow(/destroyed/);
    store.repository.byId = byId;

    const bobs = await codec.encode([payload], bob);
    await codec.decode(bobs);
    await store.repository.destroy(['bob']);
    await expect(codec.decode(bobs)).resolves.toHaveLength(1);
    codec.forgetAllUserKeys();
    await expect(codec.decode(bobs)).rejects.toThrow(/destroyed/);
  });
});
