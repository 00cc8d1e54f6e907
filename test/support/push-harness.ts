import { verify } from 'node:crypto';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { createFirebaseMessaging, createPushSender } from '../../src/activities/channels/push-sender';
import { createMessageActivities } from '../../src/activities/message-activities';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import { createProfileRepository } from '../../src/db/profile-repository';
import type { TemplateDefinition } from '../../src/domain/campaign/campaign-schema';
import { testPool } from './env';
import { fcmError, startGooglePeer } from './google-peer';
import { createProfile } from './profiles';
import { messageInput, runActivity } from './send-input';

/**
 * The push scenarios, run by test/delivery/push.test.ts in a process of their own: google-auth-library
 * fetches the OAuth token through a dynamic import() that jest's module sandbox cannot run. Each
 * scenario drives the real firebase-admin code against the local Google peer and prints what it saw
 * as one JSON line; the jest test makes the assertions.
 */
/** The key test/delivery/push.test.ts checks `beckonOpen` with. */
const HARNESS_LINK_KEY = 'push-harness-key-'.padEnd(40, 'p');
const harnessLinks = createLinkSigner(deriveLinkKey(HARNESS_LINK_KEY));

async function main(): Promise<void> {
  const pool = testPool();
  const google = await startGooglePeer();
  const push = createPushSender({ messaging: createFirebaseMessaging(google.serviceAccountPath, google.agent), removeToken: (token) => createProfileRepository(pool).removePushToken(token), links: harnessLinks });
  const { deliverMessage } = createMessageActivities({ pool, senders: { push }, now: () => new Date('2026-03-10T14:00:00Z') });
  const attempt = (input: Parameters<typeof deliverMessage>[0]) =>
    runActivity(deliverMessage, input).catch((err: { message: string; nonRetryable?: boolean; type?: string }) => ({
      error: { message: err.message, nonRetryable: err.nonRetryable, type: err.type },
    }));
  const tokensOf = async (pseudonym: string) => (await createProfileRepository(pool).contactPoints(pseudonym))?.pushTokens.map((t) => t.token) ?? [];
  const report = (scenario: string, observed: unknown) => console.log(JSON.stringify({ scenario, observed }));
  const simple: TemplateDefinition = { channel: 'push', title: 'Hello', body: 'There' };

  try {
    {
      const nudge: TemplateDefinition = { channel: 'push', title: 'Hi {{ traits.firstName }}', body: 'Take the tour', url: '/tour/{{ variables.topic }}' };
      const user = await createProfile(pool, { label: 'push', timezone: 'UTC', traits: { firstName: 'Ada' }, pushTokens: ['phone-token', 'tablet-token'] });
      const input = messageInput(user.pseudonym, nudge, { context: { entry: {}, traits: {}, variables: { topic: 'advanced' } } });
      const outcome = await attempt(input);
      const tokenRequest = google.requests.find((r) => r.host === 'oauth2.googleapis.com');
      const form = new URLSearchParams(tokenRequest?.body ?? '');
      const [header, claims, signature] = (form.get('assertion') ?? '..').split('.');
      report('send', {
        deliveryKey: input.deliveryKey,
        outcome,
        record: await createDeliveryRepository(pool).find(input.deliveryKey),
        token: {
          method: tokenRequest?.method,
          path: tokenRequest?.path,
          grantType: form.get('grant_type'),
          signatureValid: verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), google.publicKey, Buffer.from(signature ?? '', 'base64url')),
          claims: JSON.parse(Buffer.from(claims ?? '', 'base64url').toString() || '{}'),
        },
        fcm: google.requests.filter((r) => r.host === 'fcm.googleapis.com').map((r) => ({ method: r.method, path: r.path, authorization: r.headers.authorization, body: JSON.parse(r.body) })),
      });
    }
    {
      const user = await createProfile(pool, { label: 'push-dead', timezone: 'UTC', pushTokens: ['gone-token', 'garbage-token', 'live-token'] });
      google.answer('gone-token', fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'));
      google.answer('garbage-token', fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token'));
      report('dead-tokens', { outcome: await attempt(messageInput(user.pseudonym, simple)), tokens: await tokensOf(user.pseudonym) });
    }
    {
      const user = await createProfile(pool, { label: 'push-all-dead', timezone: 'UTC', pushTokens: ['old-1', 'old-2'] });
      google.answer('old-1', fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'));
      google.answer('old-2', fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'));
      const input = messageInput(user.pseudonym, simple);
      const outcome = await attempt(input);
      report('all-dead', {
        outcome,
        record: await createDeliveryRepository(pool).find(input.deliveryKey),
        tokens: await tokensOf(user.pseudonym),
        next: await attempt(messageInput(user.pseudonym, simple)),
      });
    }
    {
      const user = await createProfile(pool, { label: 'push-retry', timezone: 'UTC', pushTokens: ['flaky-token'] });
      google.answer('flaky-token', fcmError(500, 'INTERNAL', 'INTERNAL', 'Internal error encountered.'));
      const input = messageInput(user.pseudonym, simple);
      const first = await attempt(input);
      const between = await createDeliveryRepository(pool).find(input.deliveryKey);
      google.answer('flaky-token', { status: 200, body: { name: 'projects/beckon-test/messages/flaky-ok' } });
      const second = await attempt(input);
      const third = await attempt(input);
      report('retry', { first, between, second, third, sends: google.requests.filter((r) => r.body.includes('flaky-token')).length });
    }
  } finally {
    await google.close();
    await pool.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
