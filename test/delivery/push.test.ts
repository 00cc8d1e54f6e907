import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { runEntryPoint } from '../support/processes';

/** The key test/support/push-harness.ts signs links with. */
const HARNESS_LINK_KEY = 'push-harness-key-'.padEnd(40, 'p');

/**
 * The real firebase-admin code; its HTTPS calls to the OAuth token and FCM v1 send endpoints go to
 * a TLS server on this machine (test/support/google-peer.ts). The scenarios run in a child process
 * (test/support/push-harness.ts: jest's sandbox cannot run google-auth-library's dynamic import);
 * here each scenario's observations are checked.
 */
describe('push channel', () => {
  let observed: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    const harness = runEntryPoint('test/support/push-harness.ts', { ...process.env, LOG_LEVEL: 'warn' });
    const code = await harness.exited;
    if (code !== 0) throw new Error(`push harness failed (${code}):\n${harness.output()}`);
    const lines = harness.output().split('\n').filter((line) => line.startsWith('{"scenario"'));
    observed = Object.fromEntries(lines.map((line) => JSON.parse(line) as { scenario: string; observed: unknown }).map((r) => [r.scenario, r.observed]));
  }, 180_000);

  it('authenticates with a signed service-account assertion, then sends FCM v1 one request per device token', () => {
    const { deliveryKey, outcome, record, token, fcm } = observed.send;
    expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^projects\/beckon-test\/messages\/\d+ projects\/beckon-test\/messages\/\d+$/) });
    expect(record).toMatchObject({ status: 'sent', channel: 'push', providerId: outcome.providerId });
    expect(token).toMatchObject({ method: 'POST', path: '/token', grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', signatureValid: true });
    expect(token.claims).toMatchObject({
      iss: 'beckon@beckon-test.iam.gserviceaccount.com',
      aud: 'https://oauth2.googleapis.com/token',
      scope: expect.stringContaining('https://www.googleapis.com/auth/firebase.messaging'),
    });
    expect(fcm).toHaveLength(2);
    for (const request of fcm) {
      expect(request).toMatchObject({ method: 'POST', path: '/v1/projects/beckon-test/messages:send', authorization: 'Bearer test-access-token' });
    }
    const bodies = [...fcm].map((r: { body: { message: { token: string } } }) => r.body).sort((a, b) => a.message.token.localeCompare(b.message.token));
    expect(bodies).toEqual(
      ['phone-token', 'tablet-token'].map((device) => ({
        message: {
          token: device,
          notification: { title: 'Hi Ada', body: 'Take the tour' },
          data: { deliveryKey, campaignId: 'send-test', url: '/tour/advanced', beckonOpen: expect.any(String) },
        },
      })),
    );
    // The app posts beckonOpen back when the user opens the push; it is a signed open link of this delivery.
    const first = bodies[0] as unknown as { message: { data: { beckonOpen: string } } };
    const opened = createLinkSigner(deriveLinkKey(HARNESS_LINK_KEY)).verify(first.message.data.beckonOpen, 'open');
    expect(opened).toEqual({ ok: true, claims: expect.objectContaining({ purpose: 'open', deliveryKey, channel: 'push' }) });
  });

  it('removes the tokens FCM reports as unregistered or invalid, and sends to the rest', () => {
    expect(observed['dead-tokens']).toEqual({ outcome: { status: 'sent', providerId: expect.stringMatching(/^projects\/beckon-test\/messages\/\d+$/) }, tokens: ['live-token'] });
  });

  it('fails for good when every token is dead, leaving no tokens, so the next push is skipped for no address', () => {
    const { outcome, record, tokens, next } = observed['all-dead'];
    expect(outcome.error).toMatchObject({ nonRetryable: true, type: 'DeliveryFailed' });
    expect(outcome.error.message).toContain('FCM reported all 2 device tokens as unregistered or invalid');
    expect(record).toMatchObject({ status: 'failed', reason: 'no_valid_token' });
    expect(tokens).toEqual([]);
    expect(next).toEqual({ status: 'skipped', reason: 'no_address', detail: 'no device token' });
  });

  it('retries an FCM internal error; the retry sends once and a later call returns the record', () => {
    const { first, between, second, third, sends } = observed.retry;
    expect(first.error).toMatchObject({ nonRetryable: false, type: 'DeliveryRetry' });
    expect(first.error.message).toContain('messaging/internal-error');
    expect(between).toMatchObject({ status: 'reserved', attempts: 1 });
    expect(second).toEqual({ status: 'sent', providerId: 'projects/beckon-test/messages/flaky-ok' });
    expect(third).toEqual(second);
    expect(sends).toBe(2);
  });
});
