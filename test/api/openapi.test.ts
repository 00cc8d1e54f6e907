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

  it('serves the browsable documentation page', async () => {
    const response = await fetch(`${api.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger-ui');
  });
});
