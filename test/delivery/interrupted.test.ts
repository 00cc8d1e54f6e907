import type { Pool } from 'pg';
import { createEmailSender, createSmtpTransport } from '../../src/activities/channels/email-sender';
import { createInAppSender } from '../../src/activities/channels/in-app-sender';
import { createMessageActivities } from '../../src/activities/message-activities';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import { createInboxRepository } from '../../src/db/inbox-repository';
import type { TemplateDefinition } from '../../src/domain/campaign/campaign-schema';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { testPool } from '../support/env';
import { createProfile, testPseudonymKey } from '../support/profiles';
import { messageInput, runActivity } from '../support/send-input';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer';

/**
 * A retry that finds a delivery left in `sending` by an attempt that stopped: a channel whose repeats
 * are harmless sends again (the in-app inbox is keyed by the delivery key), email does not.
 */
describe('a retry after an attempt stopped while sending', () => {
  let pool: Pool;
  let peer: SmtpPeer;
  let deliverMessage: ReturnType<typeof createMessageActivities>['deliverMessage'];
  /** Plays the attempt that stopped: the check and the claim happened, the outcome was never recorded. */
  let stopAfterClaim = false;

  beforeAll(async () => {
    pool = testPool();
    peer = await startSmtpPeer();
    const transport = createSmtpTransport({ host: '127.0.0.1', port: peer.port, secure: false, requireTls: false, pool: false });
    const email = createEmailSender({ transport, from: 'Beckon <hello@beckon.test>', links: createLinkSigner(deriveLinkKey(testPseudonymKey)), publicUrl: 'http://127.0.0.1:3000' });
    const fault = (point: string) => {
      if (stopAfterClaim && point === 'after-claim') throw new Error('attempt stopped here');
    };
    ({ deliverMessage } = createMessageActivities({ pool, senders: { email, in_app: createInAppSender({ pool }) }, now: () => new Date('2026-03-10T12:00:00Z'), fault }));
  });

  afterAll(async () => {
    await peer.close();
    await pool.end();
  });

  async function interruptedThenRetried(template: TemplateDefinition, label: string) {
    const user = await createProfile(pool, { label, email: `${label}@example.com`, timezone: 'UTC' });
    const input = messageInput(user.pseudonym, template);
    stopAfterClaim = true;
    await expect(runActivity(deliverMessage, input)).rejects.toThrow('attempt stopped here');
    stopAfterClaim = false;
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'sending', attempts: 1 });
    return { user, input, outcome: await runActivity(deliverMessage, input) };
  }

  it('in-app sends again, once: the inbox holds one message', async () => {
    const { user, input, outcome } = await interruptedThenRetried({ channel: 'in_app', title: 'Hi', body: 'Once' }, 'stopped-inbox');
    expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^inbox:\d+$/) });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await createInboxRepository(pool).list(user.pseudonym, { limit: 10 })).toHaveLength(1);
  });

  it('email is not sent again: the outcome is recorded as unknown, and stays so', async () => {
    const { input, outcome } = await interruptedThenRetried({ channel: 'email', subject: 'Hi', text: 'At most once' }, 'stopped-mail');
    expect(outcome).toEqual({ status: 'unknown', detail: 'an earlier attempt stopped while sending; not sent again, to never send twice' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'unknown', reason: 'interrupted' });
    expect(await runActivity(deliverMessage, input)).toEqual(outcome);
    expect(peer.received.filter((m) => m.envelope.to.includes('stopped-mail@example.com'))).toHaveLength(0);
  });
});
