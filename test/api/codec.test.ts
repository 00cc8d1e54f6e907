import { defaultPayloadConverter } from '@temporalio/common';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { createDataKeyRepository } from '../../src/db/data-key-repository';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { eventually, startTestApi, TEST_PSEUDONYM_KEY, type TestApi } from '../support/api';

/** The codec endpoint that lets the Temporal Web UI show what Beckon encrypts. */
describe('POST /codec/decode', () => {
  const uiOrigin = 'http://127.0.0.1:8233';
  let api: TestApi;
  const codec = payloadCodecFor(TEST_PSEUDONYM_KEY);
  let read: string;
  let bearer: Record<string, string>;

  beforeAll(async () => {
    api = await startTestApi({ worker: false, codec: { codec, uiOrigin } });
    read = (await createAdminTokenRepository(api.pool).create('codec test', ['read'])).token;
    bearer = { authorization: `Bearer ${read}` };
  });

  afterAll(async () => {
    await api?.close();
  });

  const asJson = (payload: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }) => ({
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  });

  it('decrypts payloads for the Web UI, answering its origin (as 127.0.0.1 or localhost)', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ campaignName: 'Welcome new users' })]);
    const response = await api.http({
      method: 'POST',
      url: '/codec/decode',
      payload: { payloads: [asJson(encrypted!)] },
      headers: { origin: 'http://localhost:8233', 'x-namespace': 'default', ...bearer },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    const [decoded] = response.json().payloads;
    expect(JSON.parse(Buffer.from(decoded.data, 'base64').toString())).toEqual({ campaignName: 'Welcome new users' });

    const preflight = await api.http({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: uiOrigin } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('x-namespace');
  });

  it('answers another origin with the configured one, which the browser then refuses', async () => {
    const response = await api.http({ method: 'POST', url: '/codec/decode', payload: { payloads: [] }, headers: { origin: 'http://evil.example', ...bearer } });
    expect(response.headers['access-control-allow-origin']).toBe(uiOrigin);
  });

  it('answers 400 naming the field for a payload that is not base64', async () => {
    const response = await api.http({ method: 'POST', url: '/codec/decode', payload: { payloads: [{ data: '***' }] }, headers: bearer });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'payloads.0.data', reason: 'must be base64' }]);
  });

  it('answers 401 without an operator credential, also from the UI origin', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('secret')]);
    const body = { payloads: [asJson(encrypted!)] };
    const anonymous = await api.http({ method: 'POST', url: '/codec/decode', payload: body, headers: { origin: uiOrigin, authorization: '' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('secret');
    const writeKey = await api.http({ method: 'POST', url: '/codec/decode', payload: body, headers: { origin: uiOrigin } });
    expect(writeKey.statusCode).toBe(401);
  });

  it('takes the cookie /codec/login sets, as the Web UI sends it with cross-origin credentials', async () => {
    const refused = await api.http({ method: 'POST', url: '/codec/login', payload: { token: 'bk_admin_nope' }, headers: { authorization: '' } });
    expect(refused.statusCode).toBe(401);
    const login = await api.http({ method: 'POST', url: '/codec/login', payload: { token: read }, headers: { authorization: '' } });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect(String(login.headers['set-cookie'])).toContain('HttpOnly');
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('via cookie')]);
    const decoded = await api.http({ method: 'POST', url: '/codec/decode', payload: { payloads: [asJson(encrypted!)] }, headers: { origin: uiOrigin, cookie, authorization: '' } });
    expect(decoded.statusCode).toBe(200);
    expect(Buffer.from(decoded.json().payloads[0].data, 'base64').toString()).toBe('"via cookie"');
  });

  it("encrypts a user's workflow payloads with the user's own data key, which the endpoint decodes and erasure destroys", async () => {
    const userCodec = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool });
    const pseudonym = api.pseudonymize(`codec-${Date.now()}`);
    const context = { type: 'workflow' as const, namespace: 'default', workflowId: `journey:welcome:${pseudonym}:1` };
    const [mine] = await userCodec.encode([defaultPayloadConverter.toPayload({ email: 'ada@example.com' })], context);
    const [other] = await userCodec.encode([defaultPayloadConverter.toPayload('deployment')], { type: 'workflow', namespace: 'default', workflowId: 'erasure:x' });
    expect(Buffer.from(mine!.metadata!['encryption-key-id']!).toString()).toMatch(/^user\//);
    expect(Buffer.from(other!.metadata!['encryption-key-id']!).toString()).toBe(codec.keyId);
    // The endpoint's codec shares only the key store, not this codec's cache.
    const endpointCodec = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool });
    const [back] = await endpointCodec.decode([mine!]);
    expect(defaultPayloadConverter.fromPayload(back!)).toEqual({ email: 'ada@example.com' });

    expect(await createDataKeyRepository(api.pool).destroy([pseudonym])).toBe(1);
    await expect(payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool }).decode([mine!])).rejects.toThrow(/destroyed/);
  });

  it('unwraps data keys wrapped by an old master key after a rotation, and re-wraps them', async () => {
    const pseudonym = api.pseudonymize(`rotate-${Date.now()}`);
    const context = { type: 'workflow' as const, namespace: 'default', workflowId: `user:${pseudonym}` };
    const before = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool, masterKey: 'first-master-key-'.padEnd(40, '1') });
    const [sealed] = await before.encode([defaultPayloadConverter.toPayload('kept')], context);
    const keys = createDataKeyRepository(api.pool);
    const keyId = Buffer.from(sealed!.metadata!['encryption-key-id']!).toString().slice('user/'.length);
    const wrappedBy = (await keys.byId(keyId))!.masterKeyId;
    const rotated = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool, masterKey: 'second-master-key-'.padEnd(40, '2'), oldMasterKeys: ['first-master-key-'.padEnd(40, '1')] });
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([sealed!]))[0]!)).toBe('kept');
    await eventually(async () => (await keys.byId(keyId))!.masterKeyId, (id) => id !== wrappedBy, 5_000);
    // Re-wrapped under the second key: the first can be retired, a codec without the second cannot read it.
    const retired = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool, masterKey: 'second-master-key-'.padEnd(40, '2') });
    expect(defaultPayloadConverter.fromPayload((await retired.decode([sealed!]))[0]!)).toBe('kept');
    const forgotten = payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.pool, masterKey: 'third-master-key-'.padEnd(40, '3') });
    await expect(forgotten.decode([sealed!])).rejects.toThrow(/not configured/);
  });
});
