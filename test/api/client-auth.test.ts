import { createInboxRepository } from '../../src/db/inbox-repository';
import { createSourceRepository, type SourceRepository } from '../../src/db/source-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { mintStreamTicket, mintUserToken } from '../../src/privacy/user-token';
import { basicAuth, eventually, startTestApi, testSigningKeyVault, type TestApi } from '../support/api';
import { uniqueUserId } from '../support/env';
import { openStream, type SseReader } from '../support/sse';

/**
 * The client routes (a user's inbox, stream, consent) as a user's browser calls them: with that
 * user's token, made by the app's server from the source's signing key.
 */
let api: TestApi;
let sources: SourceRepository;
const streams: SseReader[] = [];

beforeAll(async () => {
  api = await startTestApi({ worker: false });
  sources = createSourceRepository(api.pool, testSigningKeyVault());
});

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

afterAll(async () => {
  await api?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

async function deliver(userId: string): Promise<string> {
  const pseudonym = api.pseudonymize(userId);
  const key = deliveryKey({ id: 'welcome', version: 1 }, pseudonym, 1, `auth-${Math.random().toString(36).slice(2)}`);
  return (await createInboxRepository(api.pool).insert({ pseudonym, deliveryKey: key, campaignId: 'welcome', campaignVersion: 1, title: 'hi', body: 'b' })).id;
}

async function stream(path: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await openStream(`${api.url}${path}`, headers);
  streams.push(reader);
  return reader;
}

/** Every client route of one user, with what each needs to be called. */
const clientRoutes = (userId: string, messageId: string) => {
  const base = `/v1/users/${encodeURIComponent(userId)}`;
  return [
    { method: 'GET', url: `${base}/inbox` },
    { method: 'GET', url: `${base}/inbox/unread-count` },
    { method: 'POST', url: `${base}/inbox/${messageId}/seen` },
    { method: 'POST', url: `${base}/inbox/${messageId}/read` },
    { method: 'POST', url: `${base}/inbox/${messageId}/click`, payload: {} },
    { method: 'POST', url: `${base}/inbox/${messageId}/dismiss` },
    { method: 'POST', url: `${base}/inbox/stream-ticket` },
    { method: 'GET', url: `${base}/consent` },
    { method: 'GET', url: `${base}/consent/history` },
    { method: 'PUT', url: `${base}/consent`, payload: { consents: [{ channel: 'email', granted: true }] } },
    { method: 'PATCH', url: `${base}/consent`, payload: { consents: [{ channel: 'push', granted: false }] } },
  ];
};

describe("a user's token", () => {
  it("opens that user's inbox, actions, stream and consent, and is refused with 403 on another user's", async () => {
    const ada = uniqueUserId('ada');
    const bob = uniqueUserId('bob');
    const adaMessage = await deliver(ada);
    const bobMessage = await deliver(bob);
    const adaToken = bearer(mintUserToken(api.signingKey, ada));

    for (const route of clientRoutes(ada, adaMessage)) {
      const response = await api.http({ ...route, headers: adaToken });
      expect([route.method, route.url, response.statusCode]).toEqual([route.method, route.url, 200]);
    }
    expect((await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(ada)}/inbox?includeDismissed=true`, headers: adaToken })).json().messages).toEqual([
      expect.objectContaining({ id: adaMessage, readAt: expect.any(String), dismissedAt: expect.any(String) }),
    ]);
    const adaStream = await stream(`/v1/users/${encodeURIComponent(ada)}/inbox/stream`, adaToken);
    expect(adaStream.status).toBe(200);

    for (const route of clientRoutes(bob, bobMessage)) {
      const response = await api.http({ ...route, headers: adaToken });
      expect([route.method, route.url, response.statusCode, response.json().error]).toEqual([route.method, route.url, 403, 'forbidden']);
      expect(response.json().message).toMatch(/for another user/);
    }
    const bobStream = await stream(`/v1/users/${encodeURIComponent(bob)}/inbox/stream`, adaToken);
    expect(bobStream.status).toBe(403);
    // Bob's message and consent were not touched.
    const bobInbox = (await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(bob)}/inbox` })).json();
    expect(bobInbox.messages).toEqual([expect.objectContaining({ id: bobMessage, seenAt: null, readAt: null, dismissedAt: null })]);
    expect((await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(bob)}/consent` })).json().consents).toEqual([]);
  });

  it('answers 401 without a credential, with a malformed or expired token, or one of another deployment', async () => {
    const userId = uniqueUserId('refused');
    const url = `/v1/users/${encodeURIComponent(userId)}/inbox`;
    const cases: [string, Record<string, string>, RegExp][] = [
      ['no credential', { authorization: '' }, /send the user's token/],
      ['a malformed token', bearer('ut1.nonsense'), /not a Beckon user token/],
      ['an altered token', bearer(`${mintUserToken(api.signingKey, userId).slice(0, -3)}AAA`), /not signed by a live signing key/],
      ['an expired token', bearer(mintUserToken(api.signingKey, userId, { expiresAt: inSeconds(-1) })), /expired at/],
      ['a token of an unknown source', bearer(mintUserToken('src_nosuchsource.sk_' + 'a'.repeat(43), userId)), /names no live source/],
      ['a stream ticket as a header', bearer(mintStreamTicket(api.signingKey, userId, inSeconds(60))), /\?ticket= on the stream route only/],
      ['an admin-looking bearer', bearer('bk_admin_x'), /neither a user token/],
    ];
    for (const [name, headers, reason] of cases) {
      const response = await api.http({ method: 'GET', url, headers });
      expect([name, response.statusCode, response.json().error]).toEqual([name, 401, 'unauthorized']);
      expect(response.json().message).toMatch(reason);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect((await api.http({ method: 'GET', url, headers: bearer(mintUserToken(api.signingKey, userId, { expiresAt: inSeconds(60) })) })).statusCode).toBe(200);
  });
});

describe('the write key on the client routes', () => {
  it('is refused (401) on a source that requires user tokens, also as ?writeKey= on the stream', async () => {
    const userId = uniqueUserId('writekey');
    const messageId = await deliver(userId);
    for (const route of clientRoutes(userId, messageId)) {
      const response = await api.http({ ...route, headers: { authorization: basicAuth(api.writeKey) } });
      expect([route.method, route.url, response.statusCode]).toEqual([route.method, route.url, 401]);
      expect(response.json().message).toMatch(/requires user tokens/);
    }
    const byQuery = await stream(`/v1/users/${encodeURIComponent(userId)}/inbox/stream?writeKey=${encodeURIComponent(api.writeKey)}`);
    expect(byQuery.status).toBe(401);
    // Ingestion still takes it.
    expect((await api.http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Still Taken' } })).statusCode).toBe(200);
  });

  it('still opens the client routes of an open source (one made before user tokens), which is told it is open', async () => {
    const open = await sources.create(`open ${api.sourceId}`, { clientAuth: 'optional' });
    expect(open.source.clientAuth).toBe('optional');
    const userId = uniqueUserId('open');
    const basic = { authorization: basicAuth(open.writeKey) };
    expect((await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: basic })).statusCode).toBe(200);
    expect((await api.http({ method: 'PUT', url: `/v1/users/${encodeURIComponent(userId)}/consent`, headers: basic, payload: { consents: [{ channel: 'email', granted: true }] } })).statusCode).toBe(200);
    const byQuery = await stream(`/v1/users/${encodeURIComponent(userId)}/inbox/stream?writeKey=${encodeURIComponent(open.writeKey)}`, { authorization: '' });
    expect(byQuery.status).toBe(200);
    // Its tokens are checked all the same: another user's is refused.
    const other = await api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: bearer(mintUserToken(open.signingKey, 'someone-else')) });
    expect(other.statusCode).toBe(403);

    // Requiring tokens closes it within the cache's 5 seconds.
    expect(await sources.setClientAuth(open.source.id, 'required')).toBe(true);
    await eventually(() => api.http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: basic }), (r) => r.statusCode === 401, 15_000);
  });
});

describe('signing keys', () => {
  it("open every user's client routes for the app's server and mint tokens through POST /v1/users/:userId/token", async () => {
    const userId = uniqueUserId('server');
    const path = `/v1/users/${encodeURIComponent(userId)}`;
    expect((await api.http({ method: 'GET', url: `${path}/consent`, headers: bearer(api.signingKey) })).statusCode).toBe(200);

    const minted = await api.http({ method: 'POST', url: `${path}/token`, headers: bearer(api.signingKey), payload: { expiresIn: 120 } });
    expect(minted.statusCode).toBe(200);
    expect(minted.json()).toEqual({ userId, token: expect.stringMatching(/^ut1\./), expiresAt: expect.any(String) });
    expect(Date.parse(minted.json().expiresAt) - Date.now()).toBeGreaterThan(60_000);
    expect((await api.http({ method: 'GET', url: `${path}/inbox`, headers: bearer(minted.json().token) })).statusCode).toBe(200);
    const forever = await api.http({ method: 'POST', url: `${path}/token`, headers: bearer(api.signingKey), payload: { expiresIn: null } });
    expect(forever.json().expiresAt).toBeNull();
    expect(forever.json().token).toBe(mintUserToken(api.signingKey, userId));

    // Only the signing key mints: neither the write key nor a user's own token.
    expect((await api.http({ method: 'POST', url: `${path}/token`, headers: { authorization: basicAuth(api.writeKey) } })).statusCode).toBe(401);
    expect((await api.http({ method: 'POST', url: `${path}/token`, headers: bearer(minted.json().token) })).statusCode).toBe(401);
    const bad = await api.http({ method: 'POST', url: `${path}/token`, headers: bearer(api.signingKey), payload: { expiresIn: 'soon' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems).toEqual([{ path: 'body.expiresIn', reason: expect.stringMatching(/number of seconds/) }]);
  });

  it('rotate: old and new keys are both accepted for the overlap, and a token of a key rotated out is refused', async () => {
    const { source, signingKey: first } = await sources.create(`rotating ${api.sourceId}`);
    const userId = uniqueUserId('rotate');
    const url = `/v1/users/${encodeURIComponent(userId)}/inbox`;
    const oldToken = bearer(mintUserToken(first, userId));
    expect((await api.http({ method: 'GET', url, headers: oldToken })).statusCode).toBe(200);

    const rotated = await sources.rotateSigningKey(source.id, 3_600_000);
    expect(rotated!.retiring).toEqual([expect.objectContaining({ expiresAt: expect.any(String) })]);
    const newToken = bearer(mintUserToken(rotated!.signingKey, userId));
    await eventually(() => api.http({ method: 'GET', url, headers: newToken }), (r) => r.statusCode === 200, 15_000);
    expect((await api.http({ method: 'GET', url, headers: oldToken })).statusCode).toBe(200);

    // Ending the overlap (a rotation with none) retires both earlier keys at once.
    const last = await sources.rotateSigningKey(source.id, 0);
    const refused = await eventually(() => api.http({ method: 'GET', url, headers: newToken }), (r) => r.statusCode === 401, 15_000);
    expect(refused.json().message).toMatch(/not signed by a live signing key/);
    expect((await api.http({ method: 'GET', url, headers: oldToken })).statusCode).toBe(401);
    expect((await api.http({ method: 'GET', url, headers: bearer(first) })).statusCode).toBe(401);
    expect((await api.http({ method: 'GET', url, headers: bearer(mintUserToken(last!.signingKey, userId)) })).statusCode).toBe(200);
  });

  it('are kept as a hash and sealed: a dump of the tables holds neither a key nor what would mint a token', async () => {
    const dump = JSON.stringify((await api.pool.query('SELECT * FROM source_signing_keys WHERE source_id = $1', [api.sourceId])).rows);
    expect(dump).not.toContain(api.signingKey.split('.sk_')[1]);
    expect(JSON.stringify((await api.pool.query('SELECT * FROM sources WHERE id = $1', [api.sourceId])).rows)).not.toContain(api.signingKey.split('.sk_')[1]);
  });
});

describe('stream tickets', () => {
  it('open the stream once, for their user only, and not after they expire', async () => {
    const userId = uniqueUserId('ticket');
    const path = `/v1/users/${encodeURIComponent(userId)}/inbox`;
    const issued = await api.http({ method: 'POST', url: `${path}/stream-ticket`, headers: bearer(mintUserToken(api.signingKey, userId)) });
    expect(issued.statusCode).toBe(200);
    const { ticket, url, expiresAt } = issued.json();
    expect(url).toBe(`${path}/stream?ticket=${encodeURIComponent(ticket)}`);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);

    // EventSource sends no Authorization header: the ticket alone opens it.
    const first = await stream(url, { authorization: '' });
    expect(first.status).toBe(200);
    const id = await deliver(userId);
    expect((await first.next((event) => event.event === 'message')).id).toBe(id);

    const again = await api.http({ method: 'GET', url, headers: { authorization: '' } });
    expect(again.statusCode).toBe(401);
    expect(again.json().message).toMatch(/used already/);

    const expired = mintStreamTicket(api.signingKey, userId, inSeconds(-1));
    const late = await api.http({ method: 'GET', url: `${path}/stream?ticket=${encodeURIComponent(expired)}`, headers: { authorization: '' } });
    expect([late.statusCode, late.json().message]).toEqual([401, expect.stringMatching(/expired at/)]);

    const othersTicket = mintStreamTicket(api.signingKey, uniqueUserId('other'), inSeconds(60));
    expect((await api.http({ method: 'GET', url: `${path}/stream?ticket=${encodeURIComponent(othersTicket)}`, headers: { authorization: '' } })).statusCode).toBe(403);
    expect((await api.http({ method: 'GET', url: `${path}/stream?ticket=st1.forged`, headers: { authorization: '' } })).statusCode).toBe(401);
  });
});

describe('CORS', () => {
  it('answers only the origins configured for the source', async () => {
    const allowed = 'https://app.beckon.test';
    const other = 'https://elsewhere.beckon.test';
    expect(await sources.setAllowedOrigins(api.sourceId, [allowed])).toBe(true);
    const userId = uniqueUserId('cors');
    const url = `/v1/users/${encodeURIComponent(userId)}/inbox`;
    const preflight = (origin: string) =>
      api.http({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });

    const ok = await eventually(() => preflight(allowed), (r) => r.statusCode === 204, 15_000);
    expect(ok.headers).toEqual(
      expect.objectContaining({
        'access-control-allow-origin': allowed,
        'access-control-allow-headers': expect.stringContaining('authorization'),
        'access-control-allow-methods': expect.stringContaining('GET'),
        vary: expect.stringContaining('Origin'),
      }),
    );
    const refused = await preflight(other);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();

    const token = bearer(mintUserToken(api.signingKey, userId));
    // Sources are cached for up to 5 seconds: the change bites within that.
    const read = await eventually(() => api.http({ method: 'GET', url, headers: { ...token, origin: allowed } }), (r) => r.statusCode === 200, 15_000);
    expect([read.statusCode, read.headers['access-control-allow-origin']]).toEqual([200, allowed]);
    const foreign = await api.http({ method: 'GET', url, headers: { ...token, origin: other } });
    expect([foreign.statusCode, foreign.headers['access-control-allow-origin']]).toEqual([403, undefined]);
    // The browser can read why a token failed, so the app knows to get a new one.
    const expired = await api.http({ method: 'GET', url, headers: { ...bearer(mintUserToken(api.signingKey, userId, { expiresAt: inSeconds(-1) })), origin: allowed } });
    expect([expired.statusCode, expired.headers['access-control-allow-origin']]).toEqual([401, allowed]);
    // A stream carries it too (its headers are written by hand).
    const live = await stream(url.replace(/inbox$/, 'inbox/stream'), { ...token, origin: allowed });
    expect([live.status, live.headers.get('access-control-allow-origin')]).toEqual([200, allowed]);

    // Another source allows nothing by default: the same origin with its user's token is refused.
    const plain = await sources.create(`no origins ${api.sourceId}`);
    expect(plain.source.allowedOrigins).toEqual([]);
    const theirs = await api.http({ method: 'GET', url, headers: { ...bearer(mintUserToken(plain.signingKey, userId)), origin: allowed } });
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json().message).toMatch(/may not call source/);
    expect((await api.http({ method: 'GET', url, headers: bearer(mintUserToken(plain.signingKey, userId)) })).statusCode).toBe(200);
  });
});

describe('OpenAPI document', () => {
  it('lists every client route with its credentials', async () => {
    const doc = (await api.http({ method: 'GET', url: '/docs/json' })).json();
    const client = { userToken: [] as string[], signingKey: [] as string[], writeKey: [] as string[] };
    const routes: [string, string][] = [
      ['/v1/users/{userId}/inbox', 'get'],
      ['/v1/users/{userId}/inbox/unread-count', 'get'],
      ['/v1/users/{userId}/inbox/{messageId}/seen', 'post'],
      ['/v1/users/{userId}/inbox/{messageId}/read', 'post'],
      ['/v1/users/{userId}/inbox/{messageId}/click', 'post'],
      ['/v1/users/{userId}/inbox/{messageId}/dismiss', 'post'],
      ['/v1/users/{userId}/inbox/stream-ticket', 'post'],
      ['/v1/users/{userId}/consent', 'get'],
      ['/v1/users/{userId}/consent', 'put'],
      ['/v1/users/{userId}/consent', 'patch'],
      ['/v1/users/{userId}/consent/history', 'get'],
    ];
    for (const [path, method] of routes) {
      const operation = doc.paths[path]?.[method];
      expect([path, method, operation?.security]).toEqual([path, method, [{ userToken: client.userToken }, { signingKey: client.signingKey }, { writeKey: client.writeKey }]]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(doc.paths['/v1/users/{userId}/inbox/stream'].get.security).toEqual([{ streamTicket: [] }, { userToken: [] }, { signingKey: [] }, { writeKey: [] }]);
    expect(doc.paths['/v1/users/{userId}/token'].post.security).toEqual([{ signingKey: [] }]);
    expect(doc.components.securitySchemes).toEqual(
      expect.objectContaining({
        userToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        signingKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        streamTicket: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'ticket' }),
      }),
    );
  });
});
