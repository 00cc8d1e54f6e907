import { createInboxRepository, type InboxRepository } from '../../src/db/inbox-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { MESSAGE_CLICKED, MESSAGE_OPENED } from '../../src/domain/engagement';
import { uniqueUserId } from '../support/env';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

let api: ApiHarness;
let inbox: InboxRepository;

beforeAll(async () => {
  api = await startApiHarness();
  inbox = createInboxRepository(api.deps.pool);
});

afterAll(async () => {
  await api?.close();
});

/** Delivers `count` in-app messages to the user the way the send activity does; returns their ids, oldest first. */
async function deliver(userId: string, count: number, options: { step?: string; actionUrl?: string } = {}): Promise<string[]> {
  const pseudonym = api.deps.pseudonymize(userId);
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const key = deliveryKey({ id: 'welcome', version: 1 }, pseudonym, i, options.step ?? 'hello');
    const { id } = await inbox.insert({ pseudonym, deliveryKey: key, campaignId: 'welcome', campaignVersion: 1, title: `t${i}`, body: `b${i}`, actionUrl: options.actionUrl });
    ids.push(id);
  }
  return ids;
}

const path = (userId: string, rest = '') => `/v1/users/${encodeURIComponent(userId)}/inbox${rest}`;

describe('GET /v1/users/:userId/inbox', () => {
  it('pages newest first with a next cursor until the last page', async () => {
    const userId = uniqueUserId('pager');
    const ids = await deliver(userId, 5);
    const seen: string[] = [];
    let url = path(userId, '?limit=2');
    const pages: number[] = [];
    for (;;) {
      const page = (await api.appHttp({ method: 'GET', url })).json();
      pages.push(page.messages.length);
      seen.push(...page.messages.map((m: { id: string }) => m.id));
      if (!page.next) break;
      url = path(userId, `?limit=2&cursor=${page.next}`);
    }
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual([...ids].reverse());
  });

  it('lists only unread messages with ?unread=true and hides dismissed ones unless asked', async () => {
    const userId = uniqueUserId('filters');
    const [first, second, third] = await deliver(userId, 3);
    expect((await api.appHttp({ method: 'POST', url: path(userId, `/${first}/read`) })).statusCode).toBe(200);
    expect((await api.appHttp({ method: 'POST', url: path(userId, `/${second}/dismiss`) })).statusCode).toBe(200);

    const unread = (await api.appHttp({ method: 'GET', url: path(userId, '?unread=true') })).json();
    expect(unread.messages.map((m: { id: string }) => m.id)).toEqual([third]);
    const all = (await api.appHttp({ method: 'GET', url: path(userId) })).json();
    expect(all.messages.map((m: { id: string }) => m.id)).toEqual([third, first]);
    const withDismissed = (await api.appHttp({ method: 'GET', url: path(userId, '?includeDismissed=true') })).json();
    expect(withDismissed.messages.map((m: { id: string }) => m.id)).toEqual([third, second, first]);
    expect(withDismissed.messages[1]).toEqual(expect.objectContaining({ stepId: 'hello', dismissedAt: expect.any(String), readAt: null }));

    const count = (await api.appHttp({ method: 'GET', url: path(userId, '/unread-count') })).json();
    expect(count).toEqual({ userId, unread: 1 });
  });

  it.each([
    ['?limit=0', 'query.limit', /at least 1/],
    ['?unread=yes', 'query.unread', /true or false/],
    ['?cursor=bm9wZQ', 'query.cursor', /not a cursor/],
  ])('answers 400 naming the field for %s', async (query, field, reason) => {
    const response = await api.appHttp({ method: 'GET', url: path('u', query) });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: field, reason: expect.stringMatching(reason) }]);
  });
});

describe('POST /v1/users/:userId/inbox/:messageId/{seen,read,click,dismiss}', () => {
  it('keeps the first time of each action, so repeating one changes nothing', async () => {
    const userId = uniqueUserId('idem');
    const [id] = await deliver(userId, 1);
    const first = (await api.appHttp({ method: 'POST', url: path(userId, `/${id}/seen`) })).json().message;
    const again = (await api.appHttp({ method: 'POST', url: path(userId, `/${id}/seen`) })).json().message;
    expect(first.seenAt).toEqual(expect.any(String));
    expect(again).toEqual(first);
    const read = (await api.appHttp({ method: 'POST', url: path(userId, `/${id}/read`) })).json().message;
    expect(read.seenAt).toBe(first.seenAt);
    expect(read.readAt).toEqual(expect.any(String));
  });

  it('answers 404 for a message of another user and 400 for an id that is not one', async () => {
    const owner = uniqueUserId('owner');
    const [id] = await deliver(owner, 1);
    const other = await api.appHttp({ method: 'POST', url: path(uniqueUserId('intruder'), `/${id}/read`) });
    expect(other.statusCode).toBe(404);
    expect(other.json().error).toBe('not_found');
    const bad = await api.appHttp({ method: 'POST', url: path(owner, '/abc/read') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems).toEqual([{ path: 'params.messageId', reason: 'must be a message id (digits)' }]);
    const badUrl = await api.appHttp({ method: 'POST', url: path(owner, `/${id}/click`), payload: { url: 'not a url' } });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().problems).toEqual([{ path: 'body.url', reason: 'must be an absolute URL' }]);
  });

  it('turns read and click into Message Opened and Message Clicked in the user workflow, each counted once', async () => {
    const userId = uniqueUserId('engaged');
    const [id] = await deliver(userId, 1, { step: 'nudge', actionUrl: 'https://example.com/features' });
    for (let i = 0; i < 2; i++) {
      expect((await api.appHttp({ method: 'POST', url: path(userId, `/${id}/read`) })).statusCode).toBe(200);
      expect((await api.appHttp({ method: 'POST', url: path(userId, `/${id}/click`) })).statusCode).toBe(200);
    }
    const clicked = (await api.appHttp({ method: 'GET', url: path(userId) })).json().messages[0];
    expect(clicked).toEqual(expect.objectContaining({ clickedAt: expect.any(String), readAt: expect.any(String), actionUrl: 'https://example.com/features' }));

    const view = await api.userState(api.deps.pseudonymize(userId), (v) => v.state.events[MESSAGE_CLICKED] !== undefined);
    expect(view.state.events[MESSAGE_OPENED]?.count).toBe(1);
    expect(view.state.events[MESSAGE_CLICKED]?.count).toBe(1);
    expect(view.state.totalEvents).toBe(2);
  });
});

describe('OpenAPI document', () => {
  it('describes the inbox, stream, consent and engagement routes from their validation schemas', async () => {
    const doc = (await api.http({ method: 'GET', url: '/docs/json' })).json();
    const routes: [string, string][] = [
      ['/v1/users/{userId}/inbox', 'get'],
      ['/v1/users/{userId}/inbox/unread-count', 'get'],
      ['/v1/users/{userId}/inbox/{messageId}/click', 'post'],
      ['/v1/users/{userId}/inbox/stream', 'get'],
      ['/v1/users/{userId}/consent', 'patch'],
      ['/v1/users/{userId}/consent/history', 'get'],
      ['/v1/unsubscribe/{token}', 'post'],
      ['/v1/e/c/{token}', 'get'],
      ['/v1/engagement/push-opened', 'post'],
    ];
    for (const [path, method] of routes) {
      expect([path, method, typeof doc.paths[path]?.[method]?.summary]).toEqual([path, method, 'string']);
    }
    expect(doc.paths['/v1/users/{userId}/inbox'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cursor', in: 'query' }), expect.objectContaining({ name: 'unread', in: 'query' })]),
    );
    const consent = doc.paths['/v1/users/{userId}/consent'].patch.requestBody.content['application/json'].schema;
    // The four channels and `tracking`, the purpose behavioural tracking is consented under.
    expect(consent.properties.consents.items.properties.channel.enum).toEqual(['in_app', 'push', 'email', 'webhook', 'tracking']);
  });
});
