import type { Pool } from 'pg';
import { createEmailSender, createSmtpTransport } from '../../src/activities/channels/email-sender';
import { createInAppSender } from '../../src/activities/channels/in-app-sender';
import { createMessageActivities } from '../../src/activities/message-activities';
import { createCampaignLifecycleRepository } from '../../src/db/campaign-lifecycle-repository';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import type { TemplateDefinition } from '../../src/domain/campaign/campaign-schema';
import { createLinkSigner, deriveLinkKey } from '../../src/privacy/signed-links';
import { testPool } from '../support/env';
import { createProfile, recordConsent, testPseudonymKey } from '../support/profiles';
import { publishCampaign } from '../support/ops-env';
import { messageInput, runActivity } from '../support/send-input';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer';

/**
 * The send-time rules against the real send path and Postgres, under the shipped policy.yaml
 * (2 per local day across campaigns, transactional exempt, quiet hours 21:00-08:00 for push,
 * email and webhook): caps counted per local day across campaigns and time zones, quiet hours,
 * and consent read at send time.
 */
describe('delivery policy at send time', () => {
  let pool: Pool;
  let peer: SmtpPeer;
  let clock = new Date();
  let deliverMessage: ReturnType<typeof createMessageActivities>['deliverMessage'];
  const inbox: TemplateDefinition = { channel: 'in_app', title: 'Hello', body: 'There' };
  const mail: TemplateDefinition = { channel: 'email', subject: 'Hello', text: 'There' };

  beforeAll(async () => {
    pool = testPool();
    peer = await startSmtpPeer();
    const transport = createSmtpTransport({ host: '127.0.0.1', port: peer.port, secure: false, requireTls: false, pool: false });
    const email = createEmailSender({ transport, from: 'Beckon <hello@beckon.test>', links: createLinkSigner(deriveLinkKey(testPseudonymKey)), publicUrl: 'http://127.0.0.1:3000' });
    ({ deliverMessage } = createMessageActivities({ pool, senders: { email, in_app: createInAppSender({ pool }) }, now: () => clock }));
  });

  afterAll(async () => {
    await peer.close();
    await pool.end();
  });

  const send = (pseudonym: string, template: TemplateDefinition, campaignId: string, extra: Parameters<typeof messageInput>[2] = {}) =>
    runActivity(deliverMessage, messageInput(pseudonym, template, { campaignId, ...extra }));

  it('answers paused for a paused campaign when asked to hold, recording nothing, and sends the same key once resumed', async () => {
    const id = `policy-pause-${Date.now().toString(36)}`;
    await publishCampaign(pool, `id: ${id}\nname: Pause at send\nentry: { event: Never }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps: [{ id: s, type: message, template: t }]\n`);
    const lifecycle = createCampaignLifecycleRepository(pool);
    expect(await lifecycle.transition(id, 'pause')).toMatchObject({ outcome: 'changed', status: 'paused' });
    const user = await createProfile(pool, { label: 'pause-at-send' });
    clock = new Date();
    const input = messageInput(user.pseudonym, inbox, { campaignId: id, holdIfPaused: true, category: 'transactional' });
    expect(await runActivity(deliverMessage, input)).toEqual({ status: 'paused' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toBeUndefined();
    // Without the flag (journeys from before the patch, whose gate already asked), the send goes ahead.
    expect(await runActivity(deliverMessage, { ...input, deliveryKey: `${input.deliveryKey}-old`, holdIfPaused: undefined })).toMatchObject({ status: 'sent' });

    expect(await lifecycle.transition(id, 'resume')).toMatchObject({ outcome: 'changed', status: 'active' });
    expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'sent' });
    expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'sent' });
    expect((await createDeliveryRepository(pool).forUser(user.pseudonym)).filter((d) => d.deliveryKey === input.deliveryKey)).toHaveLength(1);
  });

  it('caps sends that race for one user: they wait for the lock and then count what the first ones recorded', async () => {
    const user = await createProfile(pool, { label: 'cap-race', timezone: 'Europe/Berlin' });
    clock = new Date('2026-03-12T11:00:00Z');
    const outcomes = await Promise.all(['race-a', 'race-b', 'race-c', 'race-d', 'race-e'].map((campaignId) => send(user.pseudonym, inbox, campaignId)));
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === 'skipped' && o.reason === 'capped')).toHaveLength(3);
  });

  it('caps at 2 per local day across campaigns, spares transactional ones, and opens again on the next local day (Tokyo)', async () => {
    const user = await createProfile(pool, { label: 'cap-tokyo', email: 'tokyo@example.com', timezone: 'Asia/Tokyo' });
    clock = new Date('2026-03-10T03:00:00Z'); // 12:00 in Tokyo
    expect(await send(user.pseudonym, inbox, 'campaign-a')).toMatchObject({ status: 'sent' });
    expect(await send(user.pseudonym, mail, 'campaign-b')).toMatchObject({ status: 'sent' });
    expect(await send(user.pseudonym, inbox, 'campaign-c')).toEqual({ status: 'skipped', reason: 'capped', detail: 'daily cap of 2 across campaigns reached' });
    expect(await send(user.pseudonym, inbox, 'receipts', { category: 'transactional' })).toMatchObject({ status: 'sent' });

    clock = new Date('2026-03-10T14:59:00Z'); // 23:59 in Tokyo, still 10 March there
    expect(await send(user.pseudonym, inbox, 'campaign-c')).toMatchObject({ status: 'skipped', reason: 'capped' });
    clock = new Date('2026-03-10T15:00:00Z'); // 00:00 on 11 March in Tokyo, the same UTC day
    expect(await send(user.pseudonym, inbox, 'campaign-c')).toMatchObject({ status: 'sent' });

    const days = (await createDeliveryRepository(pool).forUser(user.pseudonym)).map((d) => [d.campaignId, d.status, d.localDay, d.countsTowardCap]);
    expect(days).toEqual([
      ['campaign-a', 'sent', '2026-03-10', true],
      ['campaign-b', 'sent', '2026-03-10', true],
      ['campaign-c', 'skipped', null, false],
      ['receipts', 'sent', '2026-03-10', false],
      ['campaign-c', 'skipped', null, false],
      ['campaign-c', 'sent', '2026-03-11', true],
    ]);
  });

  it('counts the day in each user zone: the same instants are one day in Los Angeles and two in Berlin', async () => {
    const la = await createProfile(pool, { label: 'cap-la', timezone: 'America/Los_Angeles' });
    const berlin = await createProfile(pool, { label: 'cap-berlin', timezone: 'Europe/Berlin' });
    const instants = ['2026-06-01T20:00:00Z', '2026-06-01T21:00:00Z', '2026-06-01T22:30:00Z'];
    const results: Record<string, string[]> = { la: [], berlin: [] };
    for (const [i, at] of instants.entries()) {
      clock = new Date(at);
      results.la!.push((await send(la.pseudonym, inbox, `zone-${i}`)).status);
      results.berlin!.push((await send(berlin.pseudonym, inbox, `zone-${i}`)).status);
    }
    // LA: 13:00, 14:00, 15:30 on 1 June. Berlin: 22:00, 23:00 on 1 June, then 00:30 on 2 June.
    expect(results).toEqual({ la: ['sent', 'sent', 'skipped'], berlin: ['sent', 'sent', 'sent'] });
  });

  it('a campaign cap holds within the cross-campaign one', async () => {
    const user = await createProfile(pool, { label: 'cap-campaign', timezone: 'UTC' });
    clock = new Date('2026-03-10T12:00:00Z');
    expect(await send(user.pseudonym, inbox, 'once-a-day', { delivery: { perDay: 1 } })).toMatchObject({ status: 'sent' });
    expect(await send(user.pseudonym, inbox, 'once-a-day', { delivery: { perDay: 1 } })).toEqual({
      status: 'skipped',
      reason: 'capped',
      detail: 'campaign cap of 1 per day reached',
    });
  });

  it('holds email in quiet hours until 08:00 local and sends it then with the same key; in-app goes at once', async () => {
    const user = await createProfile(pool, { label: 'quiet', email: 'night@example.com', timezone: 'Asia/Tokyo' });
    clock = new Date('2026-03-10T13:30:00Z'); // 22:30 in Tokyo
    const input = messageInput(user.pseudonym, mail, { campaignId: 'night-mail' });
    expect(await runActivity(deliverMessage, input)).toEqual({ status: 'deferred', until: '2026-03-10T23:00:00.000Z' });
    expect(await createDeliveryRepository(pool).find(input.deliveryKey)).toBeUndefined();
    expect(await send(user.pseudonym, inbox, 'night-inbox')).toMatchObject({ status: 'sent' });

    clock = new Date('2026-03-10T23:00:00Z'); // 08:00 in Tokyo: the journey asks again
    expect(await runActivity(deliverMessage, input)).toMatchObject({ status: 'sent' });
    expect(peer.received.filter((m) => m.envelope.to.includes('night@example.com'))).toHaveLength(1);
  });

  it('skips in quiet hours when the campaign says so, and a user with no zone gets the policy fallback (UTC)', async () => {
    const user = await createProfile(pool, { label: 'quiet-skip', email: 'skip@example.com' });
    clock = new Date('2026-03-10T03:00:00Z'); // 03:00 UTC
    expect(await send(user.pseudonym, mail, 'no-night-mail', { delivery: { duringQuietHours: 'skip' } })).toEqual({
      status: 'skipped',
      reason: 'quiet_hours',
      detail: 'inside quiet hours in UTC',
    });
    expect(await send(user.pseudonym, mail, 'night-default')).toEqual({ status: 'deferred', until: '2026-03-10T08:00:00.000Z' });
  });

  it('reads consent at send time: an opt-out at hour 71 stops the message of hour 72, and a later yes to the category brings it back', async () => {
    const user = await createProfile(pool, { label: 'consent', email: 'optout@example.com', timezone: 'UTC' });
    const entry = new Date('2026-03-10T10:00:00Z');
    clock = new Date(entry.getTime() + 72 * 3_600_000);
    await recordConsent(pool, user.pseudonym, { channel: 'email', granted: false, at: new Date(entry.getTime() + 71 * 3_600_000) });
    expect(await send(user.pseudonym, mail, 'nudge')).toEqual({ status: 'skipped', reason: 'unsubscribed', detail: 'opted out of email' });
    expect(await send(user.pseudonym, inbox, 'nudge')).toMatchObject({ status: 'sent' });

    await recordConsent(pool, user.pseudonym, { channel: 'email', category: 'marketing', granted: true, at: new Date(clock.getTime() - 60_000) });
    expect(await send(user.pseudonym, mail, 'nudge')).toMatchObject({ status: 'sent' });
    expect(await send(user.pseudonym, mail, 'onboarding-tips', { category: 'onboarding' })).toMatchObject({ status: 'skipped', reason: 'unsubscribed' });
    expect(peer.received.filter((m) => m.envelope.to.includes('optout@example.com'))).toHaveLength(1);
  });

  it('a pseudonym without a profile is skipped and nothing is recorded', async () => {
    expect(await send('no-such-pseudonym', inbox, 'ghost')).toEqual({ status: 'skipped', reason: 'no_profile', detail: 'the user has no profile' });
  });
});
