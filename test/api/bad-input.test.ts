import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { startTestApi, type TestApi } from '../support/api';
import { send } from '../fuzz/fuzz-kit';

/** Counterexamples the bad-input fuzz (test/fuzz) found, kept as plain cases: each was a 500 or an error body of another shape. */

let api: TestApi;
let admin: Record<string, string>;

beforeAll(async () => {
  api = await startTestApi({ worker: false });
  admin = { authorization: `Bearer ${(await createAdminTokenRepository(api.pool).create('bad input', ['admin'])).token}` };
});

afterAll(async () => {
  await api?.close();
});

/** JSON text of an object holding lists nested `depth` levels (as text: JSON.stringify itself cannot write thousands of levels). */
const deeply = (depth: number) => `{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
const json = { 'content-type': 'application/json' };

describe('input the fuzz found', () => {
  it('answers 400 naming the field to a call nested thousands of levels deep (JSON.stringify ran out of stack: 500)', async () => {
    const response = await api.http({ method: 'POST', url: '/v1/screen', payload: `{"userId":"deep","name":"Home","properties":${deeply(15_000)}}`, headers: json });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'properties', reason: expect.stringMatching(/more than 32 levels deep \(at properties\.a\.0\.0\.\.\.\)/) }]);
  });

  it('rejects only the deep item of a batch, by its index', async () => {
    const response = await api.http({
      method: 'POST',
      url: '/v1/batch',
      payload: `{"batch":[{"type":"identify","userId":"deep-batch","traits":{"plan":"pro"}},{"type":"track","userId":"deep-batch","event":"X","properties":${deeply(15_000)}}]}`,
      headers: json,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(expect.objectContaining({ accepted: 1, rejected: [expect.objectContaining({ index: 1, problems: [expect.objectContaining({ path: 'batch.1.properties' })] })] }));
  });

  it('takes a call 32 levels deep (the call, properties, and 30 lists in properties.a) and refuses one level more', async () => {
    const call = (depth: number) => api.http({ method: 'POST', url: '/v1/track', payload: `{"userId":"nested-ok","event":"X","properties":${deeply(depth)}}`, headers: json });
    expect((await call(30)).statusCode).toBe(200);
    expect((await call(31)).statusCode).toBe(400);
  });

  it.each([
    ['/v1/users/%80/inbox', 'GET'],
    ['/v1/ops/campaigns/%/pause', 'POST'],
    ['/%80%00', 'GET'],
  ])('answers a path that is not percent-encoded UTF-8 (%s) with the API error shape, not Fastify\'s own', async (url, method) => {
    const response = await api.http({ method, url, headers: admin });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'bad_request', message: expect.stringContaining('is not a valid url component') });
  });

  it.each([
    ['POST', '/v1/users/u/inbox/9223372036854775808/read', 'params.messageId'],
    ['POST', '/v1/users/u/inbox/9999999999999999999/dismiss', 'params.messageId'],
    ['GET', `/v1/users/u/inbox?cursor=${Buffer.from('before:9999999999999999999').toString('base64url')}`, 'query.cursor'],
    ['GET', '/v1/users/u/inbox/stream?lastEventId=9223372036854775808', 'query.lastEventId'],
  ])('answers an inbox id past the largest bigint with 400 naming it, not a Postgres error (%s %s)', async (method, url, path) => {
    const response = await api.http({ method, url });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path, reason: expect.stringMatching(/past the largest message id|not a cursor this API gave out/) }]);
  });

  it('names a message id that is not digits once, for what it is', async () => {
    const response = await api.http({ method: 'POST', url: '/v1/users/u/inbox/zd%3Db0%25!/seen' });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'params.messageId', reason: 'must be a message id (digits)' }]);
  });

  it.each([
    ['PUT', '/v1/users/a%00b/consent', { consents: [{ channel: 'email', granted: true }] }, 'params.userId', /control characters/],
    ['DELETE', '/v1/ops/tokens/a%00b', undefined, 'params.tokenId', /NUL/],
    ['POST', '/v1/ops/tokens', { name: 'a\u0000b', scopes: ['read'] }, 'name', /NUL/],
    ['POST', '/v1/identify', { userId: 'nul-traits', traits: { firstName: 'A\u0000' } }, 'traits.firstName', /NUL/],
    ['POST', '/v1/track', { userId: 'nul-message', event: 'X', messageId: 'm\u0000' }, 'messageId', /NUL/],
    ['POST', '/v1/ops/campaigns', { text: 'id: x\nname: "A\\0"\nentry: {event: X}\ntemplates: {}\nsteps: [{id: e, type: exit}]' }, 'text: name', /NUL/],
  ])('answers text with NUL, which Postgres cannot store, with 400 naming it (%s %s)', async (method, url, payload, path, reason) => {
    const response = await api.http({ method, url, payload, ...(url.startsWith('/v1/ops') && { headers: admin }) });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual(expect.arrayContaining([{ path, reason: expect.stringMatching(reason) }]));
  });

  it('still finds nothing, without an error, at the largest id itself', async () => {
    expect((await api.http({ method: 'POST', url: '/v1/users/u/inbox/9223372036854775807/read' })).statusCode).toBe(404);
  });

  it('answers HEAD of the inbox stream with its headers (it used to send nothing, holding the connection open for good)', async () => {
    const response = await send(api.url, { method: 'HEAD', path: '/v1/users/u/inbox/stream', headers: api.userAuth('u') });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
  });

  it('answers 400 to a batch whose every item is refused, also when the refusal comes after the schema (a bad email)', async () => {
    const response = await api.http({ method: 'POST', url: '/v1/batch', payload: { batch: [{ type: 'identify', userId: 'x', traits: { email: 'not-an-email' } }] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'batch.0.traits.email', reason: 'is not an email address' }]);
  });

  it.each([
    ['a content type the route does not parse (415)', '/v1/users/u/inbox/1/seen', 'text/plain'],
    ['a body the route does not read', '/v1/users/u/consent', 'application/octet-stream'],
  ])('answers a corrupt gzip body under %s without an uncaught zlib error (it crashed the process)', async (_label, path, type) => {
    const response = await send(api.url, {
      method: path.endsWith('seen') ? 'POST' : 'PUT',
      path,
      headers: { 'content-type': type, 'content-encoding': 'gzip', ...api.userAuth('u') },
      body: Buffer.from('this is not gzip at all, and long enough to reach the inflater'),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    // The error of the unread inflater would have surfaced as an uncaught exception by now; the server still answers.
    expect((await send(api.url, { method: 'GET', path: '/healthz', headers: {} })).status).toBe(200);
  });

  it('answers an alias bomb on campaign validate as an invalid definition, not a 500', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]'].join('\n');
    const response = await api.http({ method: 'POST', url: '/v1/ops/campaigns/validate', payload: { text: bomb }, headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ valid: false, problems: [{ path: '', reason: expect.stringMatching(/cannot be read as data: .*alias/i) }] });
    const publish = await api.http({ method: 'POST', url: '/v1/ops/campaigns', payload: { text: bomb }, headers: admin });
    expect(publish.statusCode).toBe(400);
    expect(publish.json().problems).toEqual([{ path: 'text', reason: expect.stringMatching(/alias/i) }]);
  });
});
