import { defaultPayloadConverter } from '@temporalio/common';
import { createConsentRepository } from '../../src/db/consent-repository';
import { createEngagementRepository } from '../../src/db/engagement-repository';
import { createUserRepository } from '../../src/db/user-repository';
import { deliveryKey } from '../../src/domain/campaign/campaign-model';
import { MESSAGE_CLICKED, MESSAGE_OPENED } from '../../src/domain/engagement';
import type { LinkClaims } from '../../src/privacy/signed-links';
import { payloadCodecFor } from '../../src/temporal/payload-codec';
import { userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { buildTestApp, TEST_PSEUDONYM_KEY } from '../support/api';
import { offlineTemporal, startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueUserId } from '../support/env';
import { request } from '../support/http';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.close();
});

/** A user with a profile and the signed link of one of their deliveries. */
async function recipient(label: string, purpose: LinkClaims['purpose'], extra: Partial<LinkClaims> = {}) {
  const userId = uniqueUserId(label);
  const pseudonym = api.deps.pseudonymize(userId);
  await createUserRepository(api.deps.pool).touch(userId, pseudonym);
  const key = deliveryKey({ id: 'pricing-no-purchase', version: 2 }, pseudonym, 1, 'offer');
  const token = api.deps.linkSigner.sign({ purpose, deliveryKey: key, pseudonym, channel: 'email', ...extra });
  return { userId, pseudonym, key, token };
}

/** The events the user workflow received as signals, decoded from its history. */
async function signalledEvents(pseudonym: string): Promise<EventSignal['event'][]> {
  const history = await api.deps.temporal.workflow.getHandle(userWorkflowId(pseudonym)).fetchHistory();
  const payloads = (history.events ?? []).flatMap((event) => {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== 'event') return [];
    return signal.input?.payloads ?? [];
  });
  // History holds what the client's codec encrypted: decrypt, then read the JSON.
  const decoded = await payloadCodecFor(TEST_PSEUDONYM_KEY, { pool: api.deps.pool }).decode(payloads);
  return decoded.map((payload) => defaultPayloadConverter.fromPayload<EventSignal>(payload).event);
}

describe('one-click unsubscribe', () => {
  it('shows a confirmation page on GET without unsubscribing, and revokes email consent on the one-click POST', async () => {
    const { pseudonym, token } = await recipient('unsub', 'unsubscribe');
    const consents = createConsentRepository(api.deps.pool);
    await consents.record(pseudonym, [{ channel: 'email', category: '*', granted: true }], 'signup-form');

    const pageResponse = await api.http({ method: 'GET', url: `/v1/unsubscribe/${token}` });
    expect(pageResponse.statusCode).toBe(200);
    expect(pageResponse.headers['content-type']).toMatch(/text\/html/);
    expect(pageResponse.body).toContain('<form method="post">');
    expect(await consents.current(pseudonym)).toEqual([expect.objectContaining({ channel: 'email', granted: true })]);

    // What RFC 8058 mail clients send; Temporal is not needed for it.
    const temporal = offlineTemporal();
    const { app: offline } = await buildTestApp({ ...api.deps, temporal });
    try {
      const url = `${await offline.listen({ host: '127.0.0.1', port: 0 })}/v1/unsubscribe/${token}`;
      for (let i = 0; i < 2; i++) {
        const response = await request(url, { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
        expect(response.statusCode).toBe(200);
        expect(response.body).toContain('You are unsubscribed');
      }
    } finally {
      await offline.close();
      await temporal.connection.close();
    }
    expect(await consents.current(pseudonym)).toEqual([{ channel: 'email', category: '*', granted: false, source: 'list-unsubscribe', changedAt: expect.any(String) }]);
    expect((await consents.history(pseudonym)).map((c) => c.source)).toEqual(['signup-form', 'list-unsubscribe', 'list-unsubscribe']);
  });
});

describe('open pixel and click redirect', () => {
  it('answers the open pixel with an uncached GIF and hands Message Opened to the user workflow once', async () => {
    const { pseudonym, token } = await recipient('open', 'open');
    for (let i = 0; i < 3; i++) {
      const response = await api.http({ method: 'GET', url: `/v1/e/o/${token}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/gif');
      expect(response.headers['cache-control']).toMatch(/no-store/);
    }
    const view = await api.userState(pseudonym, (v) => v.state.events[MESSAGE_OPENED] !== undefined);
    expect(view.state.events[MESSAGE_OPENED]?.count).toBe(1);
    expect(await signalledEvents(pseudonym)).toEqual([
      expect.objectContaining({
        event: MESSAGE_OPENED,
        properties: { campaignId: 'pricing-no-purchase', campaignVersion: 2, stepId: 'offer', entry: 1, channel: 'email' },
      }),
    ]);
  });

  it('redirects a click to its URL and hands Message Clicked with the URL to the user workflow', async () => {
    const target = `https://example.com/pricing?code=PRICING20&from=${'x'.repeat(300)}`;
    const { pseudonym, token } = await recipient('click', 'click', { url: target });
    const response = await fetch(`${api.baseUrl}/v1/e/c/${token}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(target);
    await api.userState(pseudonym, (v) => v.state.events[MESSAGE_CLICKED] !== undefined);
    expect(await signalledEvents(pseudonym)).toEqual([
      expect.objectContaining({ event: MESSAGE_CLICKED, properties: expect.objectContaining({ url: target, stepId: 'offer', channel: 'email' }) }),
    ]);
  });

  it('still redirects while Temporal is down, and the click reaches the workflow once Temporal is back', async () => {
    const target = 'https://example.com/during-outage';
    const { pseudonym, token } = await recipient('outage', 'click', { url: target });
    const offlineDeps = { ...api.deps, temporal: offlineTemporal() };
    const { app: offline } = await buildTestApp(offlineDeps);
    try {
      const response = await fetch(`${await offline.listen({ host: '127.0.0.1', port: 0 })}/v1/e/c/${token}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(target);
    } finally {
      await offline.close();
      await offlineDeps.temporal.connection.close();
    }
    const kept = await api.deps.pool.query('SELECT event, signalled_at FROM engagement_events WHERE pseudonym = $1', [pseudonym]);
    expect(kept.rows).toEqual([{ event: MESSAGE_CLICKED, signalled_at: null }]);

    // What each API process runs every 30 s: here at once, with Temporal reachable again.
    const retried = await api.deps.engagement.retryPending(0);
    expect(retried.signalled).toBeGreaterThanOrEqual(1);
    const view = await api.userState(pseudonym, (v) => v.state.events[MESSAGE_CLICKED] !== undefined);
    expect(view.state.events[MESSAGE_CLICKED]?.count).toBe(1);
  });
});

describe('engagement statistics', () => {
  it('counts each engagement once per delivery, opens and clicks apart, by campaign version and step', async () => {
    const campaignId = `stats-${Date.now().toString(36)}`;
    for (const label of ['a', 'b']) {
      const userId = uniqueUserId(`stats-${label}`);
      const pseudonym = api.deps.pseudonymize(userId);
      const key = deliveryKey({ id: campaignId, version: 1 }, pseudonym, 1, 'mail');
      const open = api.deps.linkSigner.sign({ purpose: 'open', deliveryKey: key, pseudonym, channel: 'email' });
      const click = api.deps.linkSigner.sign({ purpose: 'click', deliveryKey: key, pseudonym, channel: 'email', url: 'https://example.com/x' });
      for (let i = 0; i < 2; i++) {
        expect((await api.http({ method: 'GET', url: `/v1/e/o/${open}` })).statusCode).toBe(200);
        if (label === 'a') expect((await fetch(`${api.baseUrl}/v1/e/c/${click}`, { redirect: 'manual' })).status).toBe(302);
      }
    }
    expect(await createEngagementRepository(api.deps.pool).counts(campaignId)).toEqual([
      { campaignVersion: 1, stepId: 'mail', event: MESSAGE_CLICKED, count: 1 },
      { campaignVersion: 1, stepId: 'mail', event: MESSAGE_OPENED, count: 2 },
    ]);
  });
});

describe('push open report', () => {
  it('turns the signed beckonOpen value into Message Opened on the push channel', async () => {
    const { pseudonym, token } = await recipient('push', 'open', { channel: 'push' });
    const response = await api.http({ method: 'POST', url: '/v1/engagement/push-opened', payload: { token } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ recorded: true });
    await api.userState(pseudonym, (v) => v.state.events[MESSAGE_OPENED] !== undefined);
    expect(await signalledEvents(pseudonym)).toEqual([expect.objectContaining({ event: MESSAGE_OPENED, properties: expect.objectContaining({ channel: 'push' }) })]);
  });

  it('answers 400 naming body.token when it is missing', async () => {
    const response = await api.http({ method: 'POST', url: '/v1/engagement/push-opened', payload: {} });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([{ path: 'body.token', reason: expect.stringMatching(/required/) }]);
  });
});

describe('forged and broken links', () => {
  it('answer 400 with the reason on every link route, never 500, and change nothing', async () => {
    const { token: clickToken } = await recipient('forged', 'click', { url: 'https://example.com' });
    const [payload] = clickToken.split('.');
    const forged = `${payload}.${'A'.repeat(43)}`;
    const cases: [string, string, RegExp][] = [
      ['GET', `/v1/unsubscribe/${forged}`, /bad signature/],
      ['POST', `/v1/unsubscribe/${forged}`, /bad signature/],
      ['POST', `/v1/unsubscribe/${clickToken}`, /for click, not for unsubscribe/],
      ['GET', '/v1/e/o/not-a-token', /not a Beckon link token/],
      ['GET', `/v1/e/c/${forged}`, /bad signature/],
      ['GET', `/v1/e/o/${clickToken}`, /for click, not for open/],
    ];
    for (const [method, url, reason] of cases) {
      const response = await api.http({ method, url });
      expect([method, url, response.statusCode]).toEqual([method, url, 400]);
      expect(response.body).toMatch(reason);
    }
    const push = await api.http({ method: 'POST', url: '/v1/engagement/push-opened', payload: { token: forged } });
    expect(push.statusCode).toBe(400);
    expect(push.json()).toEqual({ error: 'invalid_link', message: 'This link has a bad signature.' });
  });
});
