import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client } from '@temporalio/client';
import { createSourceRepository } from '../../src/db/source-repository';
import { anonymousKey } from '../../src/api/ingestion';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { basicAuth, eventually, startTestApi, testSigningKeyVault, type TestApi } from '../support/api';
import { uniqueUserId } from '../support/env';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const post = (url: string, payload: unknown, headers?: Record<string, string>) => api.http({ method: 'POST', url, payload, headers });
const userState = (pseudonym: string) => api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).query(stateQuery);
const stateOf = (userId: string) => userState(api.pseudonymize(userId));
const visitorState = (anonymousId: string) => userState(api.pseudonymize(anonymousKey(anonymousId)));

describe('POST /v1/track', () => {
  it('signals the user workflow under a pseudonym, and Signed Up puts a welcome message in the inbox', async () => {
    const userId = uniqueUserId('ada@example.com');
    const response = await post('/v1/track', { userId, event: 'Signed Up', properties: { plan: 'pro' }, messageId: `${userId}-1` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ success: true, messageId: `${userId}-1`, duplicate: false });

    const inbox = await eventually(
      async () => (await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox` })).json(),
      (body: { messages: unknown[] }) => body.messages.length > 0,
    );
    expect(inbox.messages).toEqual([expect.objectContaining({ campaignId: 'welcome', title: 'Welcome aboard!' })]);
    const handle = api.temporal.workflow.getHandle(userWorkflowId(api.pseudonymize(userId)));
    expect((await handle.query(stateQuery)).state.events['Signed Up']?.count).toBe(1);
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain(userId);
    expect(history).not.toContain(Buffer.from(userId).toString('base64').slice(0, 12));
  });

  it('corrects the client clock from sentAt, as Segment does', async () => {
    const userId = uniqueUserId('skew');
    // The client's clock is a year behind; the event happened 10 s before it was sent.
    const before = Date.now();
    await post('/v1/track', { userId, event: 'Skewed', timestamp: '2025-06-01T12:00:00.000Z', sentAt: '2025-06-01T12:00:10.000Z' });
    const after = Date.now();
    const view = await eventually(() => stateOf(userId), (v) => v.state.events.Skewed !== undefined);
    const at = Date.parse(view.state.events.Skewed!.lastAt);
    expect(at).toBeGreaterThanOrEqual(before - 10_000);
    expect(at).toBeLessThanOrEqual(after - 10_000);
  });

  it.each([
    [{ event: 'Signed Up' }, 'userId', /required when anonymousId is absent/],
    [{ userId: '', event: 'Signed Up' }, 'userId', /must not be empty/],
    [{ userId: 'a\u0001b', event: 'Signed Up' }, 'userId', /control characters/],
    [{ userId: 'u', event: 7 }, 'event', /must be a string/],
    [{ userId: 'u', event: 'x', properties: [1, 2] }, 'properties', /object/],
    [{ userId: 'u', event: 'x', timestamp: 'yesterday' }, 'timestamp', /ISO 8601/],
    [{ userId: 'u', event: 'x', messageId: '' }, 'messageId', /must not be empty/],
    [{ userId: 'u', event: 'x', timestamp: '2999-01-01T00:00:00Z' }, 'timestamp', /more than 24 hours in the future/],
  ])('answers 400 naming the field for %j', async (payload, path, reason) => {
    const response = await post('/v1/track', payload);
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe('invalid_request');
    expect(body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path, reason: expect.stringMatching(reason) })]));
  });

  it('answers 400 to a body that is not JSON and 413 to one over 32 KB', async () => {
    const notJson = await post('/v1/track', '{"userId":', { 'content-type': 'application/json' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().message).toMatch(/JSON/i);
    const huge = await post('/v1/track', { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(40_000) } });
    expect(huge.statusCode).toBe(413);
  });
});

describe('compressed bodies', () => {
  it('reads a gzipped body and answers 400 to one that does not inflate', async () => {
    const userId = uniqueUserId('gzip');
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId, event: 'Zipped' }] }));
    const zipped = await fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(api.writeKey), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    expect(zipped.status).toBe(200);
    await eventually(() => stateOf(userId), (v) => v.state.events.Zipped?.count === 1);

    const broken = await fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(api.writeKey), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: Buffer.from('this is not gzip'),
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/not valid gzip data/);
  });
});

describe('write keys', () => {
  it('answers 401 with a Basic challenge without a key, and with an unknown or malformed one', async () => {
    const payload = { userId: 'u', event: 'x' };
    const none = await api.http({ method: 'POST', url: '/v1/track', payload, headers: { authorization: '' } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="beckon"/);
    expect(none.json().message).toMatch(/write key as the HTTP Basic user name/);
    const forged = `${api.writeKey.split('.')[0]}.${'A'.repeat(32)}`;
    for (const key of [forged, 'not-a-key', `src_nobody12345.${'B'.repeat(32)}`]) {
      const response = await post('/v1/track', payload, { authorization: basicAuth(key) });
      expect(response.statusCode).toBe(401);
      expect(response.json().message).toBe('the write key is unknown or revoked');
    }
  });

  it('accepts the key as writeKey in the body, as Segment does', async () => {
    const response = await api.http({
      method: 'POST',
      url: '/v1/track',
      payload: { userId: uniqueUserId('bodykey'), event: 'x', writeKey: api.writeKey },
      headers: { authorization: '' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a revoked key (within the 5 s that a checked key is trusted)', async () => {
    const sources = createSourceRepository(api.pool, testSigningKeyVault());
    const { source, writeKey } = await sources.create('soon revoked');
    const payload = { userId: uniqueUserId('revoked'), event: 'x' };
    expect((await post('/v1/track', payload, { authorization: basicAuth(writeKey) })).statusCode).toBe(200);
    expect(await sources.revoke(source.id)).toBe(true);
    await eventually(
      () => post('/v1/track', payload, { authorization: basicAuth(writeKey) }),
      (response) => response.statusCode === 401,
      15_000,
    );
  });

  it("does not open the app's client routes: inbox and consent take user tokens, the write key alone (also as ?writeKey=) is refused", async () => {
    for (const url of ['/v1/users/u/inbox', '/v1/users/u/consent', '/v1/users/u/inbox/unread-count']) {
      expect((await api.http({ method: 'GET', url, headers: { authorization: '' } })).statusCode).toBe(401);
      expect((await api.http({ method: 'GET', url, headers: { authorization: basicAuth(api.writeKey) } })).statusCode).toBe(401);
      expect((await api.http({ method: 'GET', url, headers: api.userAuth('u') })).statusCode).toBe(200);
    }
    const byQuery = await api.http({ method: 'GET', url: `/v1/users/u/inbox?writeKey=${encodeURIComponent(api.writeKey)}`, headers: { authorization: '' } });
    expect(byQuery.statusCode).toBe(401);
  });

  it('stores only a hash of the key', async () => {
    const rows = await api.pool.query<{ key_hash: Buffer }>('SELECT key_hash FROM sources WHERE id = $1', [api.sourceId]);
    expect(rows.rows[0]!.key_hash).toHaveLength(32);
    const dump = JSON.stringify((await api.pool.query('SELECT * FROM sources')).rows);
    expect(dump).not.toContain(api.writeKey.split('.')[1]);
    const keys = JSON.stringify((await api.pool.query('SELECT * FROM source_signing_keys')).rows);
    expect(keys).not.toContain(api.signingKey.split('.')[1]);
  });
});

describe('idempotency', () => {
  it('counts a retried messageId once, also through another API process on the same database', async () => {
    const userId = uniqueUserId('retry');
    const payload = { userId, event: 'Signed Up', messageId: `${userId}-same` };
    expect((await post('/v1/track', payload)).json().duplicate).toBe(false);
    expect((await post('/v1/track', payload)).json().duplicate).toBe(true);

    const restarted = await startTestApi({ worker: false, deps: { taskQueue: api.taskQueue } });
    try {
      const again = await restarted.http({ method: 'POST', url: '/v1/track', payload, headers: { authorization: basicAuth(api.writeKey) } });
      expect(again.json()).toEqual({ success: true, messageId: `${userId}-same`, duplicate: true });
    } finally {
      await restarted.close();
    }
    await post('/v1/track', { userId, event: 'Marker' });
    const view = await eventually(() => stateOf(userId), (v) => v.state.events.Marker !== undefined);
    expect(view.state.events['Signed Up']?.count).toBe(1);
    expect(view.state.entries).toEqual({ welcome: 1 });
  });
});

describe('identify', () => {
  it('stores traits and contact points on the profile and tells the user workflow', async () => {
    const userId = uniqueUserId('grace');
    const response = await post('/v1/identify', {
      userId,
      traits: { email: 'Grace@Example.com', plan: 'pro', firstName: 'Grace' },
      context: { timezone: 'Europe/Berlin', locale: 'de-DE', device: { token: `tok-${userId}`, type: 'ios' } },
    });
    expect(response.statusCode).toBe(200);
    const profile = await api.pool.query('SELECT email, timezone, locale, traits FROM users WHERE user_id = $1', [userId]);
    expect(profile.rows[0]).toEqual({
      email: 'grace@example.com',
      timezone: 'Europe/Berlin',
      locale: 'de-DE',
      traits: { email: 'Grace@Example.com', plan: 'pro', firstName: 'Grace' },
    });
    const tokens = await api.pool.query('SELECT token, platform FROM push_tokens WHERE pseudonym = $1', [api.pseudonymize(userId)]);
    expect(tokens.rows).toEqual([{ token: `tok-${userId}`, platform: 'ios' }]);
    const view = await eventually(() => stateOf(userId), (v) => v.state.traits.plan === 'pro');
    expect(view.state.traits).toMatchObject({ plan: 'pro', timezone: 'Europe/Berlin', locale: 'de-DE' });
    // Traits travel to Temporal encrypted: its stored history holds none of them in clear.
    const raw = new Client({ connection: api.temporal.connection, namespace: 'default' });
    const stored = JSON.stringify(await raw.workflow.getHandle(userWorkflowId(api.pseudonymize(userId))).fetchHistory());
    for (const secret of ['Grace@Example.com', 'Grace', 'Europe/Berlin']) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(Buffer.from(JSON.stringify(secret)).toString('base64').slice(0, 8));
    }

    // A later identify merges: a null trait removes it, an absent one stays.
    await post('/v1/identify', { userId, traits: { plan: 'team', firstName: null } });
    const merged = await api.pool.query('SELECT email, traits FROM users WHERE user_id = $1', [userId]);
    expect(merged.rows[0]).toEqual({ email: 'grace@example.com', traits: { email: 'Grace@Example.com', plan: 'team' } });
  });

  it.each([
    [{ traits: { email: 'not-an-email' } }, 'traits.email', /not an email address/],
    [{ traits: {}, context: { timezone: 'Mars/Olympus' } }, 'context.timezone', /IANA time zone/],
    [{ traits: { phone: 'call me' } }, 'traits.phone', /phone number/],
    [{ traits: 'pro' }, 'traits', /must be an object/],
  ])('answers 400 naming the field for %j and writes nothing', async (fields, path, reason) => {
    const userId = uniqueUserId('bad-identify');
    const response = await post('/v1/identify', { userId, ...fields });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([expect.objectContaining({ path, reason: expect.stringMatching(reason) })]);
    expect((await api.pool.query('SELECT 1 FROM users WHERE user_id = $1', [userId])).rowCount).toBe(0);
  });
});

describe('page and screen', () => {
  it('reach campaigns as Page Viewed and Screen Viewed with their name and category', async () => {
    const userId = uniqueUserId('pager');
    expect((await post('/v1/page', { userId, name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } })).statusCode).toBe(200);
    expect((await post('/v1/screen', { userId, name: 'Home' })).statusCode).toBe(200);
    const view = await eventually(() => stateOf(userId), (v) => v.state.totalEvents === 2);
    expect(Object.keys(view.state.events).sort()).toEqual(['Page Viewed', 'Screen Viewed']);
  });
});

describe('anonymous visitors and alias', () => {
  it('counts what a visitor did before logging in toward the user after alias', async () => {
    const anonymousId = uniqueUserId('visitor');
    const userId = uniqueUserId('known');
    await post('/v1/track', { anonymousId, event: 'Viewed Pricing' });
    await post('/v1/track', { anonymousId, event: 'Viewed Pricing' });
    await eventually(() => visitorState(anonymousId), (v) => v.state.totalEvents === 2);
    await post('/v1/track', { userId, event: 'Viewed Pricing' });

    expect((await post('/v1/alias', { previousId: anonymousId, userId })).statusCode).toBe(200);
    const merged = await eventually(() => stateOf(userId), (v) => v.state.events['Viewed Pricing']?.count === 3);
    expect(merged.state.totalEvents).toBe(3);

    // Later calls with only the anonymousId reach the user.
    await post('/v1/track', { anonymousId, event: 'Completed Purchase' });
    await eventually(() => stateOf(userId), (v) => v.state.events['Completed Purchase']?.count === 1);
  });

  it('links a visitor by the anonymousId sent along with a userId (as after login)', async () => {
    const anonymousId = uniqueUserId('visitor2');
    const userId = uniqueUserId('known2');
    await post('/v1/page', { anonymousId, name: 'Landing' });
    await eventually(() => visitorState(anonymousId), (v) => v.state.totalEvents === 1);
    await post('/v1/identify', { userId, anonymousId, traits: { plan: 'free' } });
    const merged = await eventually(() => stateOf(userId), (v) => v.state.events['Page Viewed']?.count === 1);
    expect(merged.state.traits.plan).toBe('free');
  });

  it('answers 400 to an alias without previousId', async () => {
    const response = await post('/v1/alias', { userId: 'u' });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'previousId', reason: 'is required' }]);
  });
});

describe('POST /v1/batch', () => {
  it('accepts the good items and names each bad one by index, field and reason', async () => {
    const userId = uniqueUserId('batch');
    const response = await post('/v1/batch', {
      batch: [
        { type: 'track', userId, event: 'One', messageId: `${userId}-1` },
        { type: 'track', userId, messageId: `${userId}-2` },
        { type: 'launch', userId },
        { type: 'identify', userId, traits: { email: 'nope' }, messageId: `${userId}-4` },
        { type: 'track', userId, event: 'Big', properties: { blob: 'x'.repeat(33_000) }, messageId: `${userId}-5` },
        { type: 'track', userId, event: 'Two', messageId: `${userId}-6` },
      ],
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ success: true, accepted: 2, duplicates: 0 });
    expect(body.rejected).toEqual([
      { index: 1, messageId: `${userId}-2`, problems: [{ path: 'batch.1.event', reason: 'is required' }] },
      { index: 2, problems: [{ path: 'batch.2.type', reason: expect.stringMatching(/must be one of track, identify/) }] },
      { index: 3, messageId: `${userId}-4`, problems: [{ path: 'batch.3.traits.email', reason: 'is not an email address' }] },
      { index: 4, messageId: `${userId}-5`, problems: [{ path: 'batch.4', reason: expect.stringMatching(/at most 32768 bytes/) }] },
    ]);
    await eventually(() => stateOf(userId), (v) => v.state.totalEvents === 2);
  });

  it('answers 400 when no item is good, and when the envelope is wrong', async () => {
    const allBad = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u' }] });
    expect(allBad.statusCode).toBe(400);
    expect(allBad.json().problems).toEqual([{ path: 'batch.0.event', reason: 'is required' }]);
    const noList = await post('/v1/batch', { batch: 'x' });
    expect(noList.statusCode).toBe(400);
    expect(noList.json().problems).toEqual([{ path: 'batch', reason: 'must be a list of messages' }]);
  });

  it('answers 413 to a batch over 500 KB', async () => {
    const item = { type: 'track', userId: 'u', event: 'x', properties: { blob: 'x'.repeat(20_000) } };
    const response = await post('/v1/batch', { batch: Array.from({ length: 30 }, () => item) });
    expect(response.statusCode).toBe(413);
  });

  it("applies a batch's sentAt to its items' clock correction", async () => {
    const userId = uniqueUserId('batch-skew');
    const before = Date.now();
    await post('/v1/batch', {
      sentAt: '2020-01-01T00:01:00.000Z',
      batch: [{ type: 'track', userId, event: 'Old', timestamp: '2020-01-01T00:00:00.000Z' }],
    });
    const view = await eventually(() => stateOf(userId), (v) => v.state.events.Old !== undefined);
    expect(Date.parse(view.state.events.Old!.lastAt)).toBeGreaterThanOrEqual(before - 60_000 - 1000);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the limit of a write key', async () => {
    const limited = await startTestApi({ worker: false, ingestRateLimit: 2 });
    try {
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 6; i++) {
        const response = await limited.http({ method: 'POST', url: '/v1/track', payload: { userId: 'u', event: 'x', timestamp: 'bad' } });
        statuses.push(response.statusCode);
        if (response.statusCode === 429) {
          retryAfter = response.headers['retry-after'];
          expect(response.json()).toEqual({ error: 'rate_limited', message: expect.stringMatching(/more than 2 requests a second/) });
        }
      }
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

describe('rate limit per write key', () => {
  let limited: TestApi;
  beforeAll(async () => {
    // A minute's window: every request of a test falls in the same one, however slow the machine.
    limited = await startTestApi({ worker: false, ingestRateLimit: 2, ingestRateWindowMs: 60_000 });
  });
  afterAll(async () => {
    await limited?.close();
  });

  /** A call from the given loopback address (all of 127/8 reaches this host), as from another client. */
  const track = (writeKey: string, localAddress: string) =>
    new Promise<{ statusCode: number }>((resolve, reject) => {
      const body = JSON.stringify({ userId: 'u', event: 'x', timestamp: 'bad' });
      const call = httpRequest(`${limited.url}/v1/track`, {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      call.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0 }));
      });
      call.on('error', reject);
      call.end(body);
    });

  it('gives two keys from one address a budget each', async () => {
    const sources = createSourceRepository(limited.pool, testSigningKeyVault());
    const first = (await sources.create('limit one')).writeKey;
    const second = (await sources.create('limit two')).writeKey;
    const statuses = [];
    for (const key of [first, first, first, second, second, second]) statuses.push((await track(key, '127.0.0.1')).statusCode);
    expect(statuses).toEqual([400, 400, 429, 400, 400, 429]);
  });

  it('gives one key from two addresses one budget', async () => {
    const key = (await createSourceRepository(limited.pool, testSigningKeyVault()).create('limit shared')).writeKey;
    const statuses = [];
    for (const address of ['127.0.0.3', '127.0.0.4', '127.0.0.3', '127.0.0.4']) statuses.push((await track(key, address)).statusCode);
    expect(statuses).toEqual([400, 400, 429, 429]);
  });
});

describe('unknown routes', () => {
  it('answer 404 in JSON', async () => {
    const response = await api.http({ method: 'GET', url: '/v1/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'no route GET /v1/nope' });
  });
});
