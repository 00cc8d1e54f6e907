import { createAdminTokenRepository } from '../../src/db/admin-token-repository';
import { issueToken } from '../../src/privacy/admin-token';
import { opsEnvPerFile, publishCampaign } from '../support/ops-env';

const env = opsEnvPerFile('ops-auth', { worker: false });
/** A campaign of this file's own: the routes that pass authorisation really pause, cancel and archive it. */
const C = 'ops-auth-demo';
beforeAll(async () => {
  await publishCampaign(env().pool, `id: ${C}\nname: Ops auth demo\nentry: { event: Ops Auth Demo }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps: [{ id: s, type: message, template: t }]\n`);
});

/** Every ops route with the scope it needs; the body is valid so that only authorisation decides. */
const ROUTES: { method: string; url: string; scope: 'read' | 'operate' | 'admin'; payload?: unknown }[] = [
  { method: 'GET', url: '/v1/ops/campaigns', scope: 'read' },
  { method: 'GET', url: `/v1/ops/campaigns/${C}`, scope: 'read' },
  { method: 'POST', url: '/v1/ops/campaigns/validate', scope: 'read', payload: { text: 'id: x' } },
  { method: 'POST', url: '/v1/ops/campaigns', scope: 'operate', payload: { text: 'id: x' } },
  { method: 'POST', url: `/v1/ops/campaigns/${C}/pause`, scope: 'operate' },
  { method: 'POST', url: `/v1/ops/campaigns/${C}/resume`, scope: 'operate' },
  { method: 'POST', url: `/v1/ops/campaigns/${C}/cancel`, scope: 'operate' },
  { method: 'POST', url: `/v1/ops/campaigns/${C}/rerun`, scope: 'operate', payload: { userIds: ['u'], dryRun: true } },
  { method: 'POST', url: `/v1/ops/campaigns/${C}/archive`, scope: 'operate' },
  { method: 'GET', url: '/v1/ops/users/u', scope: 'read' },
  { method: 'GET', url: '/v1/ops/users/u/journeys', scope: 'read' },
  { method: 'GET', url: '/v1/ops/users/u/journeys/welcome/1', scope: 'read' },
  { method: 'POST', url: '/v1/ops/users/u/journeys/welcome/1/cancel', scope: 'operate' },
  { method: 'POST', url: '/v1/ops/journeys/journey:welcome:p:1/reset', scope: 'operate' },
  { method: 'GET', url: '/v1/ops/batches/nope', scope: 'read' },
  { method: 'GET', url: '/v1/ops/tokens', scope: 'admin' },
  { method: 'POST', url: '/v1/ops/tokens', scope: 'admin', payload: { name: 'x', scopes: ['read'] } },
  { method: 'DELETE', url: '/v1/ops/tokens/abcdefabcdef', scope: 'admin' },
];
const NARROWER = { read: [], operate: ['read'], admin: ['read', 'operate'] } as const;

describe('ops routes without a valid admin token', () => {
  it.each(ROUTES)('$method $url answers 401 without a token, with a malformed one and with an unknown one', async (route) => {
    const { http } = env();
    for (const authorization of [undefined, 'Bearer nonsense', `Bearer ${issueToken().token}`, 'Basic dXNlcjpwYXNz']) {
      const response = await http({ ...route, headers: authorization ? { authorization } : {} });
      expect({ status: response.statusCode, authorization }).toEqual({ status: 401, authorization });
      expect(response.json()).toEqual({ error: 'unauthorized', message: expect.stringMatching(/admin token/) });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('a revoked token answers 401 on a route it opened before', async () => {
    const { http, pool } = env();
    const repo = createAdminTokenRepository(pool);
    const { token, record } = await repo.create('short-lived', ['admin']);
    const headers = { authorization: `Bearer ${token}` };
    expect((await http({ method: 'GET', url: '/v1/ops/campaigns', headers })).statusCode).toBe(200);
    expect(await repo.revoke(record.id)).toBe(true);
    expect((await http({ method: 'GET', url: '/v1/ops/campaigns', headers })).statusCode).toBe(401);
  });
});

describe('ops routes with a token that lacks the scope', () => {
  const narrower = ROUTES.flatMap((route) => NARROWER[route.scope].map((held) => ({ ...route, held })));
  it.each(narrower)('$method $url answers 403 to a "$held" token', async (route) => {
    const { http, as } = env();
    const response = await http({ ...route, headers: as(route.held) });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: 'forbidden', message: expect.stringContaining(`needs the "${route.scope}" scope`) });
  });

  it.each(ROUTES)('$method $url lets a token with its scope through (not 401 or 403)', async (route) => {
    const { http, as } = env();
    const response = await http({ ...route, headers: as(route.scope) });
    expect([401, 403]).not.toContain(response.statusCode);
  });
});
