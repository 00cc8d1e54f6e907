import { createConsentRepository } from '../../src/db/consent-repository';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueUserId } from '../support/env';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.close();
});

const path = (userId: string, rest = '') => `/v1/users/${encodeURIComponent(userId)}/consent${rest}`;

describe('consent API', () => {
  it('records choices before the first event (creating the profile), per channel and per category', async () => {
    const userId = uniqueUserId('signup');
    const before = await api.appHttp({ method: 'GET', url: path(userId) });
    expect(before.json()).toEqual({ userId, consents: [] });

    const response = await api.appHttp({
      method: 'PUT',
      url: path(userId),
      payload: { source: 'signup-form', consents: [{ channel: 'email', granted: true }, { channel: 'email', category: 'marketing', granted: false }] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      userId,
      consents: [
        { channel: 'email', category: '*', granted: true, source: 'signup-form', changedAt: expect.any(String) },
        { channel: 'email', category: 'marketing', granted: false, source: 'signup-form', changedAt: expect.any(String) },
      ],
    });
    const profile = await api.deps.pool.query('SELECT user_id FROM users WHERE pseudonym = $1', [api.deps.pseudonymize(userId)]);
    expect(profile.rows).toEqual([{ user_id: userId }]);
  });

  it('changes one choice and keeps the others, and the history has every change with its source', async () => {
    const userId = uniqueUserId('changes');
    await api.appHttp({ method: 'PATCH', url: path(userId), payload: { consents: [{ channel: 'push', granted: true }, { channel: 'email', granted: true }] } });
    await api.appHttp({ method: 'PATCH', url: path(userId), payload: { source: 'preference-center', consents: [{ channel: 'push', granted: false }] } });

    const current = (await api.appHttp({ method: 'GET', url: path(userId) })).json().consents;
    expect(current.map((c: { channel: string; granted: boolean; source: string }) => [c.channel, c.granted, c.source])).toEqual([
      ['email', true, 'api'],
      ['push', false, 'preference-center'],
    ]);
    const history = (await api.appHttp({ method: 'GET', url: path(userId, '/history') })).json();
    expect(history.changes.map((c: { channel: string; granted: boolean; source: string }) => [c.channel, c.granted, c.source])).toEqual([
      ['push', true, 'api'],
      ['email', true, 'api'],
      ['push', false, 'preference-center'],
    ]);
    expect(history.changes.every((c: { changedAt: string }) => !Number.isNaN(Date.parse(c.changedAt)))).toBe(true);
  });

  it('makes a revocation visible to the send path at once (consent is read at send time)', async () => {
    const userId = uniqueUserId('revoke');
    const pseudonym = api.deps.pseudonymize(userId);
    await api.appHttp({ method: 'PUT', url: path(userId), payload: { consents: [{ channel: 'in_app', category: 'marketing', granted: true }] } });
    await api.appHttp({ method: 'PUT', url: path(userId), payload: { consents: [{ channel: 'in_app', category: 'marketing', granted: false }] } });
    const client = await api.deps.pool.connect();
    try {
      expect(await createConsentRepository(client).current(pseudonym)).toEqual([expect.objectContaining({ channel: 'in_app', category: 'marketing', granted: false })]);
    } finally {
      client.release();
    }
  });

  it.each([
    [{ consents: [{ channel: 'sms', granted: true }] }, 'body.consents.0.channel', /must be one of in_app, push, email, webhook/],
    [{ consents: [{ channel: 'email', granted: 'yes' }] }, 'body.consents.0.granted', /true or false/],
    [{ consents: [{ channel: 'email' }] }, 'body.consents.0.granted', /is required/],
    [{ consents: [{ channel: 'email', category: 'no spaces', granted: true }] }, 'body.consents.0.category', /category name/],
    [{ consents: [] }, 'body.consents', /at least one/],
    [{ consents: [{ channel: 'email', granted: true }], source: 'Bad Source' }, 'body.source', /lower-case/],
    [{ consents: [{ channel: 'email', granted: true }, { channel: 'email', granted: false }] }, 'body.consents.1', /second time/],
  ])('answers 400 naming the field for %j, and records nothing', async (payload, field, reason) => {
    const userId = uniqueUserId('bad');
    const response = await api.appHttp({ method: 'PUT', url: path(userId), payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual(expect.arrayContaining([{ path: field, reason: expect.stringMatching(reason) }]));
    expect((await api.appHttp({ method: 'GET', url: path(userId, '/history') })).json().changes).toEqual([]);
  });
});
