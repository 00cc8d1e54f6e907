import { defaultPayloadConverter } from '@temporalio/common';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { startTestApi, TEST_PSEUDONYM_KEY, type TestApi } from '../support/api';

/** The codec endpoint that lets the Temporal Web UI show what Beckon encrypts. */
describe('POST /codec/decode', () => {
  const uiOrigin = 'http://127.0.0.1:8233';
  let api: TestApi;
  const codec = payloadCodecFor(TEST_PSEUDONYM_KEY);

  beforeAll(async () => {
    api = await startTestApi({ worker: false, codec: { codec, uiOrigin } });
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
      headers: { origin: 'http://localhost:8233', 'x-namespace': 'default' },
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
    const response = await api.http({ method: 'POST', url: '/codec/decode', payload: { payloads: [] }, headers: { origin: 'http://evil.example' } });
    expect(response.headers['access-control-allow-origin']).toBe(uiOrigin);
  });

  it('answers 400 naming the field for a payload that is not base64', async () => {
    const response = await api.http({ method: 'POST', url: '/codec/decode', payload: { payloads: [{ data: '***' }] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'payloads.0.data', reason: 'must be base64' }]);
  });
});
