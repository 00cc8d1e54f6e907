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
 * are harmless sends again (the in-app inbox is keyed by the delivery key), email does not. An in-app
 * message is decided, delivered and recorded in one transaction: an attempt stopped inside it leaves nothing.
 */
describe('a retry after an attempt stopped while sending', () => {
  let pool: Pool;
  let peer: SmtpPeer;
  let deliverMessage: ReturnType<typeof createMessageActivities>['deliverMessage'];
  /** Plays the attempt that stopped: the check and the claim happened, the outcome was never recorded. */
  let stopAfterClaim = false;
  /** Plays an in-app attempt that stopped inside its transaction, after the inbox row and before the outcome. */
  let stopAfterInbox = false;

  beforeAll(async () => {
    pool = testPool();
    peer = await startSmtpPeer();
    const transport = createSmtpTransport({ host: '127.0.0.1', port: peer.port, secure: false, requireTls: false, pool: false });
    const email = createEmailSender({ transport, from: 'Beckon <hello@beckon.test>', links: createLinkSigner(deriveLinkKey(testPseudonymKey)), publicUrl: 'http://127.0.0.1:3000' });
    const fault = (point: string) => {
      if (stopAfterClaim && point === 'after-claim') throw new Error('attempt stopped here');
      if (stopAfterInbox && point === 'in-transaction-after-inbox') throw new Error('attempt stopped inside its transaction');
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

  it('in-app left in `sending` by a two-phase attempt (a worker from before the one transaction) sends again, once', async () => {
    const user = await createProfile(pool, { label: 'stopped-inbox', email: 'stopped-inbox@example.com', timezone: 'UTC' });
    const input = messageInput(user.pseudonym, { channel: 'in_app', title: 'Hi', body: 'Once' });
    const deliveries = createDeliveryRepository(pool);
    const { pseudonym, deliveryKey, campaignId, campaignVersion, stepId, channel, category } = input;
    await deliveries.reserve({ pseudonym, deliveryKey, campaignId, campaignVersion, stepId, channel, category }, '2026-03-10', true);
    expect(await deliveries.claim(deliveryKey)).toMatchObject({ status: 'sending', attempts: 1 });
    expect(await runActivity(deliverMessage, input)).toEqual({ status: 'sent', providerId: expect.stringMatching(/^inbox:\d+$/) });
    expect(await deliveries.find(deliveryKey)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await createInboxRepository(pool).list(user.pseudonym, { limit: 10 })).toHaveLength(1);
  });

  it('in-app stopped after its inbox row rolls back the decision, the row and the entry; the retry delivers once', async () => {
    const user = await createProfile(pool, { label: 'stopped-in-tx', email: 'stopped-in-tx@example.com', timezone: 'UTC' });
    const campaignId = `in-tx-${Date.now().toString(36)}`;
    const entry = { campaignId, campaignVersion: 1, pseudonym: user.pseudonym, entry: 1, variant: 'control', heldOut: false, enteredAt: '2026-03-10T11:59:00.000Z' };
    const input = messageInput(user.pseudonym, { channel: 'in_app', title: 'Hi', body: 'Once' }, { campaignId, entry });
    const entries = async () => (await pool.query('SELECT count(*)::int AS n FROM experiment_entries WHERE campaign_id = $1', [campaignId])).rows[0].n as number;
    const inbox = createInboxRepository(pool);
    stopAfterInbox = true;
    await expect(runActivity(deliverMessage, input)).rejects.toThrow('attempt stopped inside its transaction');
    stopAfterInbox = false;
    // Nothing of the attempt stands: no reservation holding a place under the caps, no message, no entry.
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toBeUndefined();
    expect(await inbox.list(user.pseudonym, { limit: 10 })).toHaveLength(0);
    expect(await entries()).toBe(0);

    const outcome = await runActivity(deliverMessage, input);
    expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^inbox:\d+$/) });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'sent', attempts: 1, localDay: '2026-03-10', countsTowardCap: true });
    expect(await inbox.list(user.pseudonym, { limit: 10 })).toHaveLength(1);
    expect(await entries()).toBe(1);
    // A repeat finds the record: the same answer, no second message, the entry once.
    expect(await runActivity(deliverMessage, input)).toEqual(outcome);
    expect(await inbox.list(user.pseudonym, { limit: 10 })).toHaveLength(1);
    expect(await entries()).toBe(1);
  });

  it("in-app whose template the user's data cannot fill is recorded failed, with the entry, and not retried", async () => {
    const user = await createProfile(pool, { label: 'in-tx-bad-template', email: 'in-tx-bad@example.com', timezone: 'UTC' });
    const campaignId = `in-tx-bad-${Date.now().toString(36)}`;
    const entry = { campaignId, campaignVersion: 1, pseudonym: user.pseudonym, entry: 1, variant: 'control', heldOut: false, enteredAt: '2026-03-10T11:59:00.000Z' };
    const input = messageInput(user.pseudonym, { channel: 'in_app', title: 'Hi {{ traits.firstName }}', body: 'B' }, { campaignId, entry });
    await expect(runActivity(deliverMessage, input)).rejects.toMatchObject({ type: 'DeliveryFailed', nonRetryable: true });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'failed', reason: 'template_error' });
    expect(await createInboxRepository(pool).list(user.pseudonym, { limit: 10 })).toHaveLength(0);
    expect((await pool.query('SELECT count(*)::int AS n FROM experiment_entries WHERE campaign_id = $1', [campaignId])).rows[0].n).toBe(1);
    expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'failed', reason: 'template_error' });
  });

  it('email is not sent again: the outcome is recorded as unknown, and stays so', async () => {
    const { input, outcome } = await interruptedThenRetried({ channel: 'email', subject: 'Hi', text: 'At most once' }, 'stopped-mail');
    expect(outcome).toEqual({ status: 'unknown', detail: 'an earlier attempt stopped while sending; not sent again, to never send twice' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'unknown', reason: 'interrupted' });
    expect(await runActivity(deliverMessage, input)).toEqual(outcome);
    expect(peer.received.filter((m) => m.envelope.to.includes('stopped-mail@example.com'))).toHaveLength(0);
  });
});
