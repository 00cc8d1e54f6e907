import { connect } from 'node:net';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { createSourceRepository } from '../../src/db/source-repository';
import { mintStreamTicket, mintUserToken } from '../../src/privacy/user-token';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { eventually, startTestApi, TEST_PSEUDONYM_KEY, testSigningKeyVault, type TestApi } from '../support/api';
import { uniqueUserId } from '../support/env';
import { basic, ENDPOINTS, FUZZ_USERS, strayRequests, type FuzzContext } from './endpoints';
import { closeAgent, errorShapeProblems, jsonBody, send, Tally, wrongTypeFor, type RawRequest, type RawResponse } from './fuzz-kit';

/**
 * Bad input on every public route of the API, over a real socket, with a real worker running
 * the workflows that accepted events reach: never a 5xx, every 4xx names the problem, and the
 * worker is still healthy afterwards.
 */

const tally = new Tally('HTTP API');
let api: TestApi;
let ctx: FuzzContext;
let registered: string[];

beforeAll(async () => {
  const codec = payloadCodecFor(TEST_PSEUDONYM_KEY);
  // The rate limit is tested elsewhere; here it would only turn fuzz cases into 429s.
  api = await startTestApi({ logLevel: 'error', ingestRateLimit: 1_000_000, codec: { codec, uiOrigin: 'http://127.0.0.1:8233' }, deps: { devSinks: true } });
  const tokens = createAdminTokenRepository(api.pool);
  const sources = createSourceRepository(api.pool, testSigningKeyVault());
  // An origin the fuzz's extra headers send sometimes, so preflights and CORS answers of both kinds are exercised.
  await sources.setAllowedOrigins(api.sourceId, ['http://localhost:8233']);
  const open = await sources.create(`fuzz open ${api.taskQueue}`, { clientAuth: 'optional' });
  const hourFromNow = () => Math.floor(Date.now() / 1000) + 3600;
  ctx = {
    writeKey: api.writeKey,
    signingKey: api.signingKey,
    userToken: (userId, expiresAt) => mintUserToken(api.signingKey, userId, expiresAt === undefined ? {} : { expiresAt }),
    streamTicket: (userId, expiresAt) => mintStreamTicket(api.signingKey, userId, expiresAt ?? hourFromNow()),
    openWriteKey: open.writeKey,
    tokens: {
      read: (await tokens.create('fuzz read', ['read'])).token,
      operate: (await tokens.create('fuzz operate', ['operate'])).token,
      admin: (await tokens.create('fuzz admin', ['admin'])).token,
    },
    linkSigner: createLinkSigner(deriveLinkKey(TEST_PSEUDONYM_KEY)),
    encryptedPayloads: await codec.encode([defaultPayloadConverter.toPayload({ campaignName: 'Fuzz' }), defaultPayloadConverter.toPayload('x')]),
  };
  registered = registeredRoutes(api.app);
});

afterAll(async () => {
  tally.print();
  closeAgent();
  await api?.close();
});

/** Every `METHOD /path` the app serves, read from Fastify's own route tree (HEAD of a GET included). */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│├└─ ]*?)([├└]── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1]!.length + match[2]!.length) / 4 - 1;
    stack.length = depth;
    stack.push(match[3]!);
    const path = stack.join('');
    for (const method of match[4]?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}

/** A link route answers a person with a page; the page must say what is wrong. */
function htmlFaults(response: RawResponse): string[] {
  return /<h1>This link does not work<\/h1><p>[^<]+<\/p>/.test(response.text) ? [] : [`a ${response.status} page does not say what is wrong: ${response.text.slice(0, 300)}`];
}

function describeRequest(req: RawRequest): string {
  return `${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body ? JSON.stringify(req.body.toString('utf8').slice(0, 300)) : '(no body)'}`;
}

describe('bad input on every route', () => {
  it('has an arbitrary for every registered route (and none for a route that is gone)', () => {
    const covered = (route: string) => ENDPOINTS[route] !== undefined || (route.startsWith('HEAD ') && ENDPOINTS[`GET ${route.slice(5)}`] !== undefined);
    const missing = registered.filter((route) => !covered(route));
    const stale = Object.keys(ENDPOINTS).filter((route) => !registered.includes(route));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
    expect(registered.length).toBeGreaterThan(40);
  });

  it.each(Object.keys(ENDPOINTS))('%s: never a 5xx, and every 4xx names the problem', async (route) => {
    const spec = ENDPOINTS[route]!;
    await tally.check(route, spec.requests(ctx), async (req, count) => {
      const response = await send(api.url, req);
      count(response.status);
      const faults: string[] = [];
      if (response.status >= 500) faults.push(`answered ${response.status}: ${response.text.slice(0, 300)}`);
      if (response.status >= 400 && response.status < 500 && req.method !== 'HEAD') {
        const html = spec.htmlErrors && String(response.headers['content-type']).startsWith('text/html');
        faults.push(...(html ? htmlFaults(response) : errorShapeProblems(response)));
      }
      if (response.status < 400 && req.method !== 'HEAD') faults.push(...(spec.check?.(response) ?? []));
      if (faults.length > 0) throw new Error(`${describeRequest(req)}\n${faults.join('\n')}`);
    });
  });

  const withBodies = Object.entries(ENDPOINTS).filter(([, spec]) => spec.oneBadField);
  it.each(withBodies.map(([route]) => route))('%s: valid credentials and one field of the wrong type: 400 naming that field', async (route) => {
    await tally.check(`${route} (one wrong field)`, ENDPOINTS[route]!.oneBadField!(ctx), async ({ request, field }, count) => {
      const response = await send(api.url, request);
      count(response.status);
      const body = JSON.parse(response.text) as { error?: string; problems?: { path: string; reason: string }[] };
      const named = (body.problems ?? []).some((p) => p.path === field || p.path.startsWith(`${field}.`) || p.path.startsWith(`${field}[`));
      if (response.status !== 400 || body.error !== 'invalid_request' || !named) {
        throw new Error(`${describeRequest(request)}\nexpected 400 naming ${field}, got ${response.status} ${response.text.slice(0, 300)}`);
      }
    });
  });

  it('POST /v1/batch: good items are taken, each bad one is named by its index', async () => {
    const good = fc.record({ userId: fc.constantFrom(...FUZZ_USERS), messageId: fc.uuid() }).map((m) => ({ ok: true, item: { type: 'track', event: 'Fuzz Batch', ...m } }));
    const bad = fc.oneof(
      fc.record({ field: fc.constantFrom('event', 'userId', 'properties', 'timestamp'), kind: fc.constantFrom('string' as const) }).chain(({ field }) =>
        wrongTypeFor(field === 'properties' ? 'object' : 'string').map((value) => ({ ok: false, item: { type: 'track', userId: FUZZ_USERS[0], event: 'Fuzz Batch', [field]: value } })),
      ),
      fc.constantFrom(null, 7, 'track', [], { type: 'nope' }, { type: 'identify', userId: 'x', traits: { email: 'not-an-email' } }).map((item) => ({ ok: false, item })),
    );
    await tally.check('POST /v1/batch (items good and bad)', fc.array(fc.oneof(good, bad), { minLength: 1, maxLength: 6 }), async (items, count) => {
      const body = jsonBody({ batch: items.map((i) => i.item) });
      const response = await send(api.url, { method: 'POST', path: '/v1/batch', headers: { ...body.headers, authorization: basic(ctx.writeKey) }, body: body.body });
      count(response.status);
      const badIndexes = items.flatMap((item, index) => (item.ok ? [] : [index]));
      const answer = JSON.parse(response.text) as { accepted?: number; duplicates?: number; rejected?: { index: number; problems: { path: string }[] }[]; problems?: { path: string }[] };
      if (badIndexes.length === items.length) {
        expect(response.status).toBe(400);
        for (const problem of answer.problems ?? []) expect(problem.path).toMatch(/^batch\.\d+/);
        return;
      }
      expect(response.status).toBe(200);
      expect(answer.rejected!.map((r) => r.index)).toEqual(badIndexes);
      for (const rejected of answer.rejected!) for (const problem of rejected.problems) expect(problem.path.startsWith(`batch.${rejected.index}`)).toBe(true);
      expect(answer.accepted! + answer.duplicates!).toBe(items.length - badIndexes.length);
    });
  });

  it('requests to no route: 404 in the API error shape, never a 5xx', async () => {
    await tally.check('unknown routes and methods', strayRequests, async (req, count) => {
      const response = await send(api.url, req);
      count(response.status);
      expect(response.status).toBeLessThan(500);
      if (response.status >= 400 && req.method !== 'HEAD') expect(errorShapeProblems(response)).toEqual([]);
    });
  });

  it('bytes that are not HTTP: a 4xx or a closed connection, and the server answers the next client', async () => {
    const junk = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.constantFrom(
        'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
        'POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        'POST /v1/track HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n',
        `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: x\r\nX: ${'b'.repeat(20_000)}\r\n\r\n`,
        'GET / HTTP/9.9\r\n\r\n',
        'GET\r\n\r\n',
        'POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Encoding: gzip\r\n\r\n{}',
      ).map((text) => Buffer.from(text)),
    );
    await tally.check('raw socket bytes', junk, async (bytes, count) => {
      const status = await rawExchange(bytes);
      count(status ?? 'closed');
      if (status !== undefined) expect(status).toBeLessThan(500);
    });
    const health = await send(api.url, { method: 'GET', path: '/healthz', headers: {} });
    expect(health.status).toBe(200);
  });
});

/** Writes bytes to a fresh connection; the status of the answer, or undefined when the server closed it without one. */
function rawExchange(bytes: Buffer): Promise<number | undefined> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(undefined) : reject(err)));
    socket.on('close', () => resolve(undefined));
    // A request the server waits to complete: end our side so it answers or closes.
    socket.end(bytes);
  });
}

describe('the worker after the fuzz', () => {
  const EventType = temporal.api.enums.v1.EventType;
  const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

  it('is still running and a canary Signed Up still gets its welcome message', async () => {
    expect(api.worker?.worker.getState()).toBe('RUNNING');
    const userId = uniqueUserId('fuzz-canary');
    const body = jsonBody({ userId, event: 'Signed Up' });
    const response = await send(api.url, { method: 'POST', path: '/v1/track', headers: { ...body.headers, authorization: basic(ctx.writeKey) }, body: body.body });
    expect(response.status).toBe(200);
    const inbox = await eventually(
      async () => JSON.parse((await send(api.url, { method: 'GET', path: `/v1/users/${encodeURIComponent(userId)}/inbox`, headers: { authorization: `Bearer ${mintUserToken(api.signingKey, userId)}` } })).text) as { messages: { campaignId: string }[] },
      (answer) => answer.messages?.length > 0,
      60_000,
    );
    expect(inbox.messages).toEqual([expect.objectContaining({ campaignId: 'welcome' })]);
    const view = await api.temporal.workflow.getHandle(userWorkflowId(api.pseudonymize(userId))).query(stateQuery);
    expect(view.state.events['Signed Up']?.count).toBe(1);
  });

  it('fuzzed events reached user workflows, and none of them failed a workflow task', async () => {
    const query = `TaskQueue = '${api.taskQueue}'`;
    const handles: string[] = [];
    for await (const info of api.temporal.workflow.list({ query })) handles.push(info.workflowId);
    const fuzzedUsers = FUZZ_USERS.map((userId) => userWorkflowId(api.pseudonymize(userId)));
    const reached = handles.filter((id) => fuzzedUsers.includes(id));
    expect(reached.length).toBeGreaterThan(0);
    // Their state, folded from fuzzed event names, properties and traits, still answers the state query.
    const views = await Promise.all(reached.map((id) => api.temporal.workflow.getHandle(id).query(stateQuery)));
    expect(views.some((view) => view.state.totalEvents > 0 || Object.keys(view.state.traits).length > 0)).toBe(true);

    // Every task handed out has been worked off, so a failure would be in the histories by now.
    await eventually(
      async () => (await Promise.all(handles.map(async (id) => (await api.temporal.workflow.getHandle(id).describe()).raw.pendingWorkflowTask))).filter(Boolean).length,
      (pending) => pending === 0,
      90_000,
    );
    const faults: string[] = [];
    for (const id of handles) {
      const handle = api.temporal.workflow.getHandle(id);
      const description = await handle.describe();
      if (['FAILED', 'TERMINATED', 'TIMED_OUT'].includes(description.status.name)) faults.push(`${id} is ${description.status.name}`);
      for (const event of (await handle.fetchHistory()).events ?? []) {
        const failed = event.workflowTaskFailedEventAttributes;
        // UNHANDLED_COMMAND is Temporal's ordinary "a signal came in while you completed; run again".
        if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED && failed?.cause !== Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) {
          faults.push(`${id}: workflow task failed (${Cause[failed?.cause ?? 0]}): ${failed?.failure?.message ?? ''}`);
        }
      }
    }
    console.log(`[fuzz] worker: ${handles.length} workflows on the fuzz task queue checked, ${faults.length} with a failed workflow task`);
    expect(faults).toEqual([]);
  });
});
