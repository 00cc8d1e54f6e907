import { ApplicationFailure } from '@temporalio/common';
import { Liquid } from 'liquidjs';
import type { Pool } from 'pg';
import { createEmailSender, createSmtpTransport, messageIdFor } from '../../src/activities/channels/email-sender';
import { createMessageActivities } from '../../src/activities/message-activities';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { testPool } from '../support/env';
import { createProfile, testPseudonymKey } from '../support/profiles';
import { messageInput, runActivity } from '../support/send-input';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer';

/** Email through nodemailer to a real SMTP server in this process; what arrives is parsed by mailparser. */
describe('email channel', () => {
  const signer = createLinkSigner(deriveLinkKey(testPseudonymKey));
  const from = 'Beckon Tests <hello@beckon.test>';
  // 14:00 UTC: outside the seed policy's quiet hours (21:00-08:00) for a user in UTC.
  const now = new Date('2026-03-10T14:00:00Z');
  let pool: Pool;
  let peer: SmtpPeer;
  let deliverMessage: ReturnType<typeof createMessageActivities>['deliverMessage'];

  beforeAll(async () => {
    pool = testPool();
    peer = await startSmtpPeer();
    const transport = createSmtpTransport({ host: '127.0.0.1', port: peer.port, secure: false, requireTls: false, pool: false });
    const email = createEmailSender({ transport, from, links: signer, publicUrl: 'https://beckon.example.com' });
    ({ deliverMessage } = createMessageActivities({ pool, senders: { email }, now: () => now }));
  });

  afterAll(async () => {
    await peer.close();
    await pool.end();
  });

  const offer = {
    channel: 'email' as const,
    subject: "{{ traits.firstName | default: 'Hi' }}, 20% off {{ entry.plan }}",
    text: 'Use code {{ variables.code }} at https://shop.example.com/p?x=1&y=2',
    html: '<p>Use <b>{{ variables.code }}</b> at <a href="https://shop.example.com/p?x=1&amp;y=2">the shop</a>.</p>',
  };

  it('sends one message with the exact headers, bodies, signed links and a Message-ID from the delivery key', async () => {
    const user = await createProfile(pool, { label: 'mail', email: 'ada@example.com', timezone: 'UTC', traits: { firstName: 'Ada' } });
    const input = messageInput(user.pseudonym, offer, { context: { entry: { plan: 'pro' }, traits: {}, variables: { code: 'PRICING20' } } });
    const outcome = await runActivity(deliverMessage, input);
    expect(outcome).toEqual({ status: 'sent', providerId: expect.stringContaining('queued as peer-') });

    const mails = peer.received.filter((m) => m.envelope.to.includes('ada@example.com'));
    expect(mails).toHaveLength(1);
    const { parsed, envelope } = mails[0]!;
    expect(envelope).toEqual({ from: 'hello@beckon.test', to: ['ada@example.com'] });
    expect(parsed.from?.text).toBe('"Beckon Tests" <hello@beckon.test>');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : undefined).toBe('ada@example.com');
    expect(parsed.subject).toBe('Ada, 20% off pro');
    expect(parsed.messageId).toBe(messageIdFor(input.deliveryKey, from));
    expect(parsed.messageId).toMatch(/^<[0-9a-f]{32}@beckon\.test>$/);

    // The header lines as sent (unfolded), since mailparser turns List-Unsubscribe into an object.
    const header = (name: string) => parsed.headerLines.find((line) => line.key === name)?.line.replace(/\r?\n\s+/g, ' ');
    const unsubscribe = /^List-Unsubscribe: <https:\/\/beckon\.example\.com\/v1\/unsubscribe\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)>$/.exec(header('list-unsubscribe') ?? '');
    expect(unsubscribe).not.toBeNull();
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const token = unsubscribe![1]!;
    expect(signer.verify(token, 'unsubscribe')).toEqual({
      ok: true,
      claims: { purpose: 'unsubscribe', deliveryKey: input.deliveryKey, pseudonym: user.pseudonym, channel: 'email' },
    });
    const unsubscribeUrl = `https://beckon.example.com/v1/unsubscribe/${token}`;
    expect(parsed.text).toBe(`Use code PRICING20 at https://shop.example.com/p?x=1&y=2\n\nUnsubscribe: ${unsubscribeUrl}\n`);

    const html = String(parsed.html);
    const click = /<a href="https:\/\/beckon\.example\.com\/v1\/e\/c\/([^"]+)">the shop<\/a>/.exec(html);
    const open = /<img src="https:\/\/beckon\.example\.com\/v1\/e\/o\/([^"]+)" width="1" height="1" alt="" style="display:none">$/.exec(html);
    expect(signer.verify(click![1]!, 'click')).toMatchObject({ ok: true, claims: { url: 'https://shop.example.com/p?x=1&y=2', deliveryKey: input.deliveryKey } });
    expect(signer.verify(open![1]!, 'open')).toMatchObject({ ok: true, claims: { deliveryKey: input.deliveryKey, channel: 'email' } });
    expect(html).toBe(
      `<p>Use <b>PRICING20</b> at <a href="https://beckon.example.com/v1/e/c/${click![1]}">the shop</a>.</p>` +
        `<p><a href="${unsubscribeUrl}">Unsubscribe</a></p>` +
        `<img src="https://beckon.example.com/v1/e/o/${open![1]}" width="1" height="1" alt="" style="display:none">`,
    );

    const record = await createDeliveryRepository(pool).find(input.deliveryKey);
    expect(record).toMatchObject({ status: 'sent', channel: 'email', category: 'marketing', localDay: '2026-03-10', countsTowardCap: true, attempts: 1 });
    expect(record?.providerId).toContain('queued as peer-');
  });

  it('a retried activity finds the record and does not send again', async () => {
    const user = await createProfile(pool, { label: 'mail-retry', email: 'retry@example.com', timezone: 'UTC' });
    const input = messageInput(user.pseudonym, { channel: 'email', subject: 'Once', text: 'Only once' });
    const first = await runActivity(deliverMessage, input);
    const second = await runActivity(deliverMessage, input);
    expect(second).toEqual(first);
    expect(peer.received.filter((m) => m.envelope.to.includes('retry@example.com'))).toHaveLength(1);
  });

  it('an address the server rejects with 550 fails for good, is recorded, and is not tried again', async () => {
    const user = await createProfile(pool, { label: 'mail-550', email: 'nobody@example.com', timezone: 'UTC' });
    peer.refuse('nobody@example.com', 550, 'No such user here: <Nobody@example.com>');
    const input = messageInput(user.pseudonym, { channel: 'email', subject: 'Hello', text: 'Hi' });
    const failure = await runActivity(deliverMessage, input).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DeliveryFailed' });
    // The reply quoted the address; the failure, which Temporal keeps in the journey's history, does not.
    expect((failure as Error).message).toContain('550 No such user here: <<recipient>>');
    expect((failure as Error).message).not.toMatch(/nobody@example\.com/i);
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'failed', reason: 'rejected_address' });

    peer.accept('nobody@example.com');
    expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'failed', reason: 'rejected_address' });
    expect(peer.received.filter((m) => m.envelope.to.includes('nobody@example.com'))).toHaveLength(0);
  });

  it('parses a campaign version\'s templates for its first send only; a new version is parsed anew', async () => {
    const parse = jest.spyOn(Liquid.prototype, 'parse');
    try {
      const send = async (label: string, campaignVersion: number) => {
        const user = await createProfile(pool, { label, email: `${label}@example.com`, timezone: 'UTC', traits: { firstName: label } });
        const input = messageInput(user.pseudonym, offer, {
          campaignId: 'parse-once',
          campaignVersion,
          stepId: 'offer',
          deliveryKey: `parse-once:v${campaignVersion}:${user.pseudonym}:1:offer`,
          context: { entry: { plan: 'pro' }, traits: {}, variables: { code: 'ONCE' } },
        });
        parse.mockClear();
        expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'sent' });
        return parse.mock.calls.length;
      };
      expect(await send('parse-first', 1)).toBe(3); // subject, text, html
      expect(await send('parse-second', 1)).toBe(0);
      expect(await send('parse-third', 2)).toBe(3);
      const subjects = peer.received.filter((m) => m.envelope.to.some((to) => to.startsWith('parse-'))).map((m) => m.parsed.subject);
      expect(subjects).toEqual(['parse-first, 20% off pro', 'parse-second, 20% off pro', 'parse-third, 20% off pro']);
    } finally {
      parse.mockRestore();
    }
  });

  it('a 4xx answer that names its wait makes that the next retry\'s delay', async () => {
    const user = await createProfile(pool, { label: 'mail-grey', email: 'grey@example.com', timezone: 'UTC' });
    peer.refuse('grey@example.com', 450, 'Greylisted, please retry in 90 seconds');
    const input = messageInput(user.pseudonym, { channel: 'email', subject: 'Later', text: 'Eventually' });
    const failure = await runActivity(deliverMessage, input).catch((err: unknown) => err);
    expect(failure).toMatchObject({ nonRetryable: false, type: 'DeliveryRetry', nextRetryDelay: 90_000 });
    peer.accept('grey@example.com');
  });

  it('a 4xx answer is retried: the delivery goes back to reserved and the next attempt sends it once', async () => {
    const user = await createProfile(pool, { label: 'mail-451', email: 'busy@example.com', timezone: 'UTC' });
    peer.refuse('busy@example.com', 451, 'Try again later');
    const input = messageInput(user.pseudonym, { channel: 'email', subject: 'Later', text: 'Eventually' });
    const failure = await runActivity(deliverMessage, input).catch((err: unknown) => err);
    expect(failure).toMatchObject({ nonRetryable: false, type: 'DeliveryRetry' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'reserved', attempts: 1 });

    peer.accept('busy@example.com');
    expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'sent' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(peer.received.filter((m) => m.envelope.to.includes('busy@example.com'))).toHaveLength(1);
  });

  it('a variable the user lacks fails the send for good instead of mailing a blank', async () => {
    const user = await createProfile(pool, { label: 'mail-missing', email: 'blank@example.com', timezone: 'UTC' });
    const input = messageInput(user.pseudonym, { channel: 'email', subject: 'Hi {{ traits.firstName }}', text: 'x' });
    const failure = await runActivity(deliverMessage, input).catch((err: unknown) => err);
    expect(failure).toMatchObject({ nonRetryable: true });
    expect((failure as Error).message).toContain('undefined variable: traits.firstName');
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'failed', reason: 'template_error' });
    expect(peer.received.filter((m) => m.envelope.to.includes('blank@example.com'))).toHaveLength(0);
  });

  it('a user without an email address is skipped with that reason', async () => {
    const user = await createProfile(pool, { label: 'mail-none', timezone: 'UTC' });
    const input = messageInput(user.pseudonym, { channel: 'email', subject: 'Hi', text: 'x' });
    expect(await runActivity(deliverMessage, input)).toEqual({ status: 'skipped', reason: 'no_address', detail: 'no email address' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toMatchObject({ status: 'skipped', reason: 'no_address' });
  });
});
