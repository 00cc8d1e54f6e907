import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from '../../src/api/app';
import { cachedRevision } from '../../src/api/catalog-revision';
import { createCampaignRepository } from '../../src/db/campaigns';
import { loadConfig } from '../../src/config';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { connectClient } from '../../src/temporal/connection';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { startWorker, type BeckonWorker } from '../../src/worker';
import { serve, type HttpRequest, type HttpResponse } from '../support/http';
import { testPool, testTemporalAddress, uniqueUserId, workflowBundle } from '../support/env';

const pseudonymize = createPseudonymizer('test-key-'.padEnd(40, 'x'));
const linkSigner = createLinkSigner(deriveLinkKey('test-key-'.padEnd(40, 'x')));
let catalogRevision: () => Promise<number>;
const taskQueue = `api-test-${Date.now().toString(36)}`;
let pool: Pool;
let temporal: Client;
let worker: BeckonWorker;
let app: FastifyInstance;
let http: (req: HttpRequest) => Promise<HttpResponse>;

beforeAll(async () => {
  pool = testPool();
  catalogRevision = cachedRevision(() => createCampaignRepository(pool).revision());
  temporal = await connectClient({ address: testTemporalAddress(), namespace: 'default', waitMs: 10_000 });
  const config = { ...loadConfig({}), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue };
  worker = await startWorker({ config, pool, workflowBundle: workflowBundle() });
  app = buildApp({ pool, temporal, taskQueue, pseudonymize, catalogRevision, linkSigner }, { logLevel: 'silent' });
  http = await serve(app);
});

afterAll(async () => {
  await app?.close();
  await worker?.shutdown();
  await temporal?.connection.close();
  await pool?.end();
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done in time; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('POST /v1/track', () => {
  it('signals the user workflow under a pseudonym, and Signed Up puts a welcome message in the inbox', async () => {
    const userId = uniqueUserId('ada@example.com');
    const response = await http({
      method: 'POST',
      url: '/v1/track',
      payload: { userId, event: 'Signed Up', properties: { plan: 'pro' }, messageId: `${userId}-1` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ success: true, messageId: `${userId}-1` });

    const inbox = await eventually(
      async () => (await http({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/inbox` })).json(),
      (body: { messages: unknown[] }) => body.messages.length > 0,
    );
    expect(inbox.messages).toEqual([expect.objectContaining({ campaignId: 'welcome', title: 'Welcome aboard!', readAt: null })]);

    const handle = temporal.workflow.getHandle(userWorkflowId(pseudonymize(userId)));
    const view = await handle.query(stateQuery);
    expect(view.state.events['Signed Up']?.count).toBe(1);
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain(userId);
    expect(history).not.toContain(Buffer.from(userId).toString('base64').slice(0, 12));
  });

  it('counts a retried messageId once', async () => {
    const userId = uniqueUserId('retry');
    const payload = { userId, event: 'Signed Up', messageId: `${userId}-same` };
    for (let i = 0; i < 3; i++) expect((await http({ method: 'POST', url: '/v1/track', payload })).statusCode).toBe(200);
    await http({ method: 'POST', url: '/v1/track', payload: { userId, event: 'Marker' } });
    const handle = temporal.workflow.getHandle(userWorkflowId(pseudonymize(userId)));
    const view = await eventually(() => handle.query(stateQuery), (v) => v.state.totalEvents === 2);
    expect(view.state.entries).toEqual({ welcome: 1 });
  });

  it.each([
    [{ event: 'Signed Up' }, 'userId', /required/],
    [{ userId: '', event: 'Signed Up' }, 'userId', /must not be empty/],
    [{ userId: 'u', event: 7 }, 'event', /must be a string/],
    [{ userId: 'u', event: 'x', properties: [1, 2] }, 'properties', /object/],
    [{ userId: 'u', event: 'x', timestamp: 'yesterday' }, 'timestamp', /ISO 8601/],
    [{ userId: 'u', event: 'x', messageId: '' }, 'messageId', /must not be empty/],
    [{ userId: 'u', event: 'x', timestamp: '2999-01-01T00:00:00Z' }, 'timestamp', /more than 24 hours in the future/],
  ])('answers 400 naming the field for %j', async (payload, path, reason) => {
    const response = await http({ method: 'POST', url: '/v1/track', payload });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe('invalid_request');
    expect(body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path, reason: expect.stringMatching(reason) })]));
  });

  it('answers 400 to a body that is not JSON and 413 to one over 32 KB', async () => {
    const notJson = await http({ method: 'POST', url: '/v1/track', headers: { 'content-type': 'application/json' }, payload: '{"userId":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().message).toMatch(/JSON/i);
    const huge = await http({ method: 'POST', url: '/v1/track', payload: { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(40_000) } } });
    expect(huge.statusCode).toBe(413);
  });

  it('answers 503 with Retry-After when Temporal cannot be reached', async () => {
    const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }) });
    const offline = buildApp({ pool, temporal: deadTemporal, taskQueue, pseudonymize, catalogRevision, linkSigner }, { logLevel: 'silent' });
    try {
      const response = await (await serve(offline))({ method: 'POST', url: '/v1/track', payload: { userId: 'u', event: 'x' } });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
    } finally {
      await offline.close();
    }
  });
});

describe('GET /v1/users/:userId/inbox', () => {
  it('answers 400 naming query.limit when the limit is out of range', async () => {
    const response = await http({ method: 'GET', url: '/v1/users/u/inbox?limit=0' });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'query.limit', reason: 'must be at least 1' }]);
  });

  it('is empty for a user nobody has heard of', async () => {
    const response = await http({ method: 'GET', url: `/v1/users/${uniqueUserId('nobody')}/inbox` });
    expect(response.statusCode).toBe(200);
    expect(response.json().messages).toEqual([]);
  });
});

describe('unknown routes', () => {
  it('answer 404 in JSON', async () => {
    const response = await http({ method: 'GET', url: '/v1/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'no route GET /v1/nope' });
  });
});
