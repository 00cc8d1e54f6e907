import type { FastifyInstance } from 'fastify';
import { withTransaction } from '../../src/db/transaction';
import { createInboxRepository, type InboxRepository } from '../../src/db/inbox-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { eventually, startApiHarness, type ApiHarness } from '../support/api-harness';
import { buildApp } from '../../src/api/app';
import { buildTestApp, clientCredential } from '../support/api';
import { uniqueUserId } from '../support/env';
import { openStream, type SseEvent, type SseReader } from '../support/sse';

let api: ApiHarness;
let inbox: InboxRepository;
/** The same API with the polling feed forced, so both ways of learning of new messages are tested on any database. */
let polling: FastifyInstance;
let pollingUrl: string;
const streams: SseReader[] = [];

beforeAll(async () => {
  api = await startApiHarness();
  inbox = createInboxRepository(api.deps.pool);
  ({ app: polling } = await buildTestApp(api.deps, { inboxFeed: { mode: 'poll', pollIntervalMs: 100 } }));
  pollingUrl = await polling.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

afterAll(async () => {
  await polling?.close();
  await api?.close();
});

let step = 0;
async function deliver(userId: string, title: string): Promise<string> {
  const pseudonym = api.deps.pseudonymize(userId);
  const key = deliveryKey({ id: 'welcome', version: 1 }, pseudonym, ++step, 'hello');
  return (await inbox.insert({ pseudonym, deliveryKey: key, campaignId: 'welcome', campaignVersion: 1, title, body: 'b' })).id;
}

async function stream(baseUrl: string, userId: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await openStream(`${baseUrl}/v1/users/${encodeURIComponent(userId)}/inbox/stream`, { ...api.userHeaders(userId), ...headers });
  streams.push(reader);
  return reader;
}

const isMessage = (event: SseEvent) => event.event === 'message';
const titleOf = (event: SseEvent) => JSON.parse(event.data ?? '{}').title;

describe('GET /v1/users/:userId/inbox/stream', () => {
  it('answers with an event stream that says how it learns of new messages', async () => {
    const reader = await stream(api.baseUrl, uniqueUserId('kind'));
    expect(reader.status).toBe(200);
    expect(reader.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(reader.headers.get('cache-control')).toMatch(/no-cache/);
    const hello = await reader.next();
    // Every Postgres the tests run on (the embedded one too) delivers notifications to a listener.
    expect(hello.comments).toEqual(['stream of notified inbox messages']);
  });

  it.each([
    ['the default feed', () => api.baseUrl],
    ['the polling feed', () => pollingUrl],
  ])('pushes each message committed after connecting, and never one that is rolled back (%s)', async (_name, baseUrl) => {
    const userId = uniqueUserId('live');
    await deliver(userId, 'before');
    const reader = await stream(baseUrl(), userId);
    await reader.next(); // the opening comment: the stream is subscribed

    const first = await deliver(userId, 'first');
    expect((await reader.next(isMessage)).id).toBe(first);
    const pseudonym = api.deps.pseudonymize(userId);
    const rolledBack = withTransaction(api.deps.pool, async (client) => {
      await client.query(
        `INSERT INTO inbox_messages (pseudonym, delivery_key, campaign_id, campaign_version, title, body) VALUES ($1, $2, 'welcome', 1, 'rolled back', 'b')`,
        [pseudonym, `welcome:v1:${pseudonym}:9999:hello`],
      );
      throw new Error('roll back');
    }).catch((err: Error) => err.message);
    expect(await rolledBack).toBe('roll back');
    const second = await deliver(userId, 'second');
    const event = await reader.next(isMessage);
    expect(event.id).toBe(second);
    expect(JSON.parse(event.data ?? '')).toEqual(expect.objectContaining({ id: second, title: 'second', campaignId: 'welcome', readAt: null }));
    expect(reader.seen.filter(isMessage).map(titleOf)).toEqual(['first', 'second']);
  });

  it('resumes from Last-Event-ID without a gap, then goes on live', async () => {
    const userId = uniqueUserId('resume');
    const first = await stream(api.baseUrl, userId);
    await first.next();
    const one = await deliver(userId, 'one');
    expect((await first.next(isMessage)).id).toBe(one);
    first.close();

    await deliver(userId, 'two');
    await deliver(userId, 'three');
    const again = await stream(api.baseUrl, userId, { 'last-event-id': one });
    expect(titleOf(await again.next(isMessage))).toBe('two');
    expect(titleOf(await again.next(isMessage))).toBe('three');
    await deliver(userId, 'four');
    expect(titleOf(await again.next(isMessage))).toBe('four');
  });

  it('sends heartbeats and lets go of a client that disconnects', async () => {
    const { app } = await buildTestApp(api.deps, { inboxStream: { heartbeatMs: 50 } });
    try {
      const reader = await stream(await app.listen({ host: '127.0.0.1', port: 0 }), uniqueUserId('beat'));
      expect((await reader.next((event) => event.comments.includes('heartbeat'))).comments).toEqual(['heartbeat']);
      const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
      expect(await connections()).toBe(1);
      reader.close();
      await eventually(connections, (count) => count === 0);
    } finally {
      await app.close();
    }
  });

  it('lets go of a client that leaves while the stream reads its starting point (its subscription ends then, not at shutdown)', async () => {
    // The starting point's read is held until the client has gone; the feed counts the stream's subscription.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let reading: () => void = () => {};
    const read = new Promise<void>((resolve) => (reading = resolve));
    let subscribed = 0;
    const deps = {
      ...api.deps,
      inbox: { ...api.deps.inbox, latestId: async (pseudonym: string) => {
        reading();
        await held;
        return api.deps.inbox.latestId(pseudonym);
      } },
      inboxFeed: { ...api.deps.inboxFeed, subscribe: (pseudonym: string, onChange: (ids?: string[]) => void) => {
        subscribed += 1;
        const unsubscribe = api.deps.inboxFeed.subscribe(pseudonym, onChange);
        return () => {
          subscribed -= 1;
          unsubscribe();
        };
      } },
    };
    const app = await buildApp(deps);
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const userId = uniqueUserId('gone');
      const controller = new AbortController();
      const opening = fetch(`${base}/v1/users/${encodeURIComponent(userId)}/inbox/stream`, {
        headers: { accept: 'text/event-stream', authorization: clientCredential(api.signingKey, `/v1/users/${encodeURIComponent(userId)}`) },
        signal: controller.signal,
      }).catch((err: Error) => err.name);
      await read;
      expect(subscribed).toBe(1);
      controller.abort();
      expect(await opening).toBe('AbortError');
      const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
      await eventually(connections, (count) => count === 0);
      release();
      await eventually(async () => subscribed, (count) => count === 0);
    } finally {
      release();
      await app.close();
    }
  });

  it('ends open streams when the API stops, so that stopping never hangs on them', async () => {
    const { app } = await buildTestApp(api.deps, { inboxFeed: { mode: 'poll', pollIntervalMs: 100 } });
    const reader = await stream(await app.listen({ host: '127.0.0.1', port: 0 }), uniqueUserId('stop'));
    await reader.next();
    await app.close();
    await expect(reader.next()).rejects.toThrow('the stream ended');
  });

  it('answers 400 naming the header when Last-Event-ID is not a message id', async () => {
    const response = await api.appHttp({ method: 'GET', url: '/v1/users/u/inbox/stream', headers: { 'last-event-id': 'yesterday' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'headers.last-event-id', reason: 'must be the id of an inbox message (digits)' }]);
  });
});
