import { startTestApi, type TestApi } from '../support/api';

/** The OpenAPI document, generated from the zod schemas that validate requests. */
describe('GET /docs', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ worker: false });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves an OpenAPI 3.1 document whose request schemas are the validation schemas', async () => {
    const response = await api.http({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/track', '/v1/identify', '/v1/page', '/v1/screen', '/v1/alias', '/v1/batch']) {
      expect(doc.paths[path].post.security).toEqual([{ writeKey: [] }]);
    }
    const track = doc.paths['/v1/track'].post.requestBody.content['application/json'].schema;
    expect(track.required).toEqual(['event']);
    expect(track.properties.event).toEqual({ type: 'string', minLength: 1, maxLength: 200 });
    expect(track.properties.timestamp.format).toBe('date-time');
    expect(doc.paths['/v1/alias'].post.requestBody.content['application/json'].schema.required).toEqual(['userId', 'previousId']);
    expect(Object.keys(doc.paths['/v1/track'].post.responses).sort()).toEqual(['200', '400', '401', '413', '429', '503']);
    expect(doc.components.securitySchemes.writeKey).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(doc.paths['/v1/users/{userId}/inbox'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'limit', in: 'query' }), expect.objectContaining({ name: 'userId', in: 'path' })]),
    );
  });

  it('describes every ops route with a summary, its admin scope, and the params and body its handler parses', async () => {
    const doc = (await api.http({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { summary?: string; description?: string; security?: unknown; parameters?: { name: string; in: string }[]; requestBody?: unknown; tags?: string[] }>>;
    };
    const ops = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/ops/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, path, method, operation })));
    expect(ops.map((op) => op.route).sort()).toEqual([
      'DELETE /v1/ops/tokens/{tokenId}',
      'DELETE /v1/ops/users/{userId}',
      'DELETE /v1/ops/users/{userId}/suppression',
      'GET /v1/ops/batches/{jobId}',
      'GET /v1/ops/campaigns',
      'GET /v1/ops/campaigns/{campaignId}',
      'GET /v1/ops/campaigns/{campaignId}/stats',
      'GET /v1/ops/programme/stats',
      'GET /v1/ops/tokens',
      'GET /v1/ops/users/{userId}',
      'GET /v1/ops/users/{userId}/export',
      'GET /v1/ops/whoami',
      'GET /v1/ops/users/{userId}/journeys',
      'GET /v1/ops/users/{userId}/journeys/{campaignId}/{entry}',
      'POST /v1/ops/campaigns',
      'POST /v1/ops/campaigns/validate',
      'POST /v1/ops/campaigns/{campaignId}/archive',
      'POST /v1/ops/campaigns/{campaignId}/cancel',
      'POST /v1/ops/campaigns/{campaignId}/pause',
      'POST /v1/ops/campaigns/{campaignId}/rerun',
      'POST /v1/ops/campaigns/{campaignId}/resume',
      'POST /v1/ops/journeys/{workflowId}/reset',
      'POST /v1/ops/tokens',
      'POST /v1/ops/users/{userId}/journeys/{campaignId}/{entry}/cancel',
    ].sort());
    // The routes whose handler parses a body: each describes it, and no other route claims one.
    const withBody = new Set([
      'POST /v1/ops/campaigns',
      'POST /v1/ops/campaigns/validate',
      'POST /v1/ops/campaigns/{campaignId}/cancel',
      'POST /v1/ops/campaigns/{campaignId}/rerun',
      'POST /v1/ops/campaigns/{campaignId}/resume',
      'POST /v1/ops/journeys/{workflowId}/reset',
      'POST /v1/ops/tokens',
      'POST /v1/ops/users/{userId}/journeys/{campaignId}/{entry}/cancel',
    ]);
    for (const { route, path, operation } of ops) {
      expect({ route, summary: typeof operation.summary === 'string' && operation.summary.length > 10 }).toEqual({ route, summary: true });
      expect({ route, security: operation.security }).toEqual({ route, security: [{ adminToken: [] }] });
      expect({ route, scope: /Needs an admin token with the `(read|operate|admin)` scope/.test(operation.description ?? '') }).toEqual({ route, scope: true });
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const described = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect({ route, params: described.sort() }).toEqual({ route, params: pathParams.sort() });
      expect({ route, body: operation.requestBody !== undefined }).toEqual({ route, body: withBody.has(route) });
    }
    const rerun = doc.paths['/v1/ops/campaigns/{campaignId}/rerun']!.post!.requestBody as { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    expect(Object.keys(rerun.content['application/json']!.schema.properties).sort()).toEqual(['dryRun', 'query', 'reason', 'userIds']);
    const list = doc.paths['/v1/ops/campaigns']!.get!.parameters!;
    expect(list).toEqual([expect.objectContaining({ name: 'archived', in: 'query' })]);
    expect((doc as unknown as { components: { securitySchemes: Record<string, unknown> } }).components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves the browsable documentation page', async () => {
    const response = await fetch(`${api.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger-ui');
  });
});
