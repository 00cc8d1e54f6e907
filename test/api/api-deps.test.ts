import { createInboxRepository } from '../../src/db/inbox-repository';
import { createUserRepository } from '../../src/db/user-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { basicAuth } from '../support/api';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueUserId } from '../support/env';

/** The routes take their repositories and services from deps: one of each per API process, built in src/api.ts. */
let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  await api?.close();
});

describe('the API\'s services, built once in src/api.ts', () => {
  it('checks a write key once for ingestion and the app-facing routes: one key cache', async () => {
    // An open source, whose client routes still take the write key (a requiring one refuses it there).
    const { writeKey } = await api.deps.sources.create(`one cache ${Date.now()}`, { clientAuth: 'optional' });
    const authenticate = jest.spyOn(api.deps.sources, 'authenticate');
    const headers = { authorization: basicAuth(writeKey) };
    const userId = uniqueUserId('one-cache');
    const tracked = await api.http({ method: 'POST', url: '/v1/track', headers, payload: { userId, event: 'Signed Up', messageId: `m-${userId}` } });
    expect(tracked.statusCode).toBe(200);
    const listed = await api.http({ method: 'GET', url: `/v1/users/${userId}/inbox`, headers });
    expect(listed.statusCode).toBe(200);
    const consent = await api.http({ method: 'GET', url: `/v1/users/${userId}/consent`, headers });
    expect(consent.statusCode).toBe(200);
    expect(authenticate).toHaveBeenCalledTimes(1);
  });

  it('reports inbox reads and link opens through the one engagement reporter', async () => {
    const report = jest.spyOn(api.deps.engagement, 'report');
    const userId = uniqueUserId('one-reporter');
    const pseudonym = api.deps.pseudonymize(userId);
    await createUserRepository(api.deps.pool).touch(userId, pseudonym);
    const inAppKey = deliveryKey({ id: 'welcome', version: 1 }, pseudonym, 1, 'hello');
    const message = await createInboxRepository(api.deps.pool).insert({ pseudonym, deliveryKey: inAppKey, campaignId: 'welcome', campaignVersion: 1, title: 't', body: 'b' });
    expect((await api.appHttp({ method: 'POST', url: `/v1/users/${userId}/inbox/${message.id}/read` })).statusCode).toBe(200);

    const emailKey = deliveryKey({ id: 'pricing-no-purchase', version: 2 }, pseudonym, 1, 'offer');
    const token = api.deps.linkSigner.sign({ purpose: 'open', deliveryKey: emailKey, pseudonym, channel: 'email' });
    expect((await api.http({ method: 'GET', url: `/v1/e/o/${token}` })).statusCode).toBe(200);

    expect(report.mock.calls.map(([engagement]) => [engagement.kind, engagement.channel])).toEqual([
      ['opened', 'in_app'],
      ['opened', 'email'],
    ]);
  });

  it('streams inbox messages from the one inbox feed started with the API', async () => {
    const subscribe = jest.spyOn(api.deps.inboxFeed, 'subscribe');
    const userId = uniqueUserId('one-feed');
    const controller = new AbortController();
    const response = await fetch(`${api.baseUrl}/v1/users/${userId}/inbox/stream`, { headers: api.userHeaders(userId), signal: controller.signal });
    expect(response.status).toBe(200);
    controller.abort();
    expect(subscribe).toHaveBeenCalledWith(api.deps.pseudonymize(userId), expect.any(Function));
  });
});
