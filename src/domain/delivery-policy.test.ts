import { deliveryPolicySchema, type DeliveryPolicy } from './campaign/campaign-schema';
import { capDay, decideCaps, decideConsent, decideQuietHours, decideSend, deliveryZone, type ConsentView, type SendFacts } from './delivery-policy';

const policy: DeliveryPolicy = deliveryPolicySchema.parse({
  frequencyCap: { perDay: 2, exemptCategories: ['transactional'] },
  quietHours: { start: '21:00', end: '08:00', fallbackTimezone: 'UTC' },
  duringQuietHours: 'defer',
});

const choice = (channel: string, category: string, granted: boolean, changedAt: string): ConsentView => ({ channel, category, granted, changedAt });

describe('decideConsent', () => {
  it('allows an opt-out channel with no recorded choice, refuses an opt-in one', () => {
    expect(decideConsent([], 'email', 'marketing', [])).toEqual({ allowed: true });
    expect(decideConsent([], 'email', 'marketing', ['email'])).toEqual({ allowed: false, reason: 'no_consent' });
    expect(decideConsent([], 'push', 'marketing', ['email'])).toEqual({ allowed: true });
  });

  it('a channel-wide unsubscribe stops every category, including one granted earlier', () => {
    const choices = [choice('email', 'marketing', true, '2026-01-01T00:00:00Z'), choice('email', '*', false, '2026-02-01T00:00:00Z')];
    expect(decideConsent(choices, 'email', 'marketing', [])).toEqual({ allowed: false, reason: 'unsubscribed' });
    expect(decideConsent(choices, 'email', 'onboarding', [])).toEqual({ allowed: false, reason: 'unsubscribed' });
  });

  it('a later yes to one category brings that category back, not the others', () => {
    const choices = [choice('email', '*', false, '2026-01-01T00:00:00Z'), choice('email', 'marketing', true, '2026-02-01T00:00:00Z')];
    expect(decideConsent(choices, 'email', 'marketing', [])).toEqual({ allowed: true });
    expect(decideConsent(choices, 'email', 'onboarding', [])).toEqual({ allowed: false, reason: 'unsubscribed' });
  });

  it('a refusal of one category leaves the others, and choices on other channels do not apply', () => {
    const choices = [choice('email', 'marketing', false, '2026-01-01T00:00:00Z'), choice('push', '*', false, '2026-01-01T00:00:00Z')];
    expect(decideConsent(choices, 'email', 'marketing', [])).toEqual({ allowed: false, reason: 'unsubscribed' });
    expect(decideConsent(choices, 'email', 'onboarding', [])).toEqual({ allowed: true });
    expect(decideConsent(choices, 'in_app', 'marketing', [])).toEqual({ allowed: true });
  });

  it('an opt-in channel sends once the user said yes; a tie between yes and no is a no', () => {
    expect(decideConsent([choice('email', '*', true, '2026-01-01T00:00:00Z')], 'email', 'marketing', ['email'])).toEqual({ allowed: true });
    const tie = [choice('email', '*', true, '2026-01-01T00:00:00Z'), choice('email', 'marketing', false, '2026-01-01T00:00:00Z')];
    expect(decideConsent(tie, 'email', 'marketing', [])).toEqual({ allowed: false, reason: 'unsubscribed' });
  });
});

describe('decideQuietHours', () => {
  const quiet = policy.quietHours;

  it('sends outside the window, in the user zone', () => {
    // 12:00 UTC is 07:00 in New York (EST): inside; 14:00 in Berlin (CET): outside.
    expect(decideQuietHours(new Date('2026-01-15T12:00:00Z'), quiet, 'Europe/Berlin', 'defer')).toEqual({ action: 'send' });
    expect(decideQuietHours(new Date('2026-01-15T12:00:00Z'), quiet, 'America/New_York', 'defer')).toEqual({
      action: 'defer',
      until: new Date('2026-01-15T13:00:00Z'),
    });
  });

  it('defers across local midnight to 08:00 the next local day, or skips', () => {
    // 22:30 in Tokyo (UTC+9) on the 15th: the window ends at 08:00 on the 16th local, 23:00 UTC on the 15th.
    const now = new Date('2026-01-15T13:30:00Z');
    expect(decideQuietHours(now, quiet, 'Asia/Tokyo', 'defer')).toEqual({ action: 'defer', until: new Date('2026-01-15T23:00:00Z') });
    expect(decideQuietHours(now, quiet, 'Asia/Tokyo', 'skip')).toEqual({ action: 'skip' });
  });

  it('ends the window at 08:00 local on the morning clocks spring forward (New York, 8 March 2026)', () => {
    // 03:30 EDT (07:30 UTC) right after the 02:00 -> 03:00 jump; 08:00 EDT is 12:00 UTC, not 13:00.
    expect(decideQuietHours(new Date('2026-03-08T07:30:00Z'), quiet, 'America/New_York', 'defer')).toEqual({
      action: 'defer',
      until: new Date('2026-03-08T12:00:00Z'),
    });
  });

  it('sends at once when there are no quiet hours', () => {
    expect(decideQuietHours(new Date('2026-01-15T03:00:00Z'), undefined, 'UTC', 'defer')).toEqual({ action: 'send' });
  });
});

describe('decideCaps', () => {
  const rules = { perDay: 2, exemptCategories: ['transactional'] };

  it('allows up to the daily cap across campaigns, then caps', () => {
    expect(decideCaps('marketing', rules, { today: 1, campaignToday: 0 })).toEqual({ allowed: true, countsTowardCap: true });
    expect(decideCaps('marketing', rules, { today: 2, campaignToday: 0 })).toEqual({ allowed: false, reason: 'capped', detail: 'daily cap of 2 across campaigns reached' });
  });

  it('exempt categories pass the cross-campaign cap and do not count towards it', () => {
    expect(decideCaps('transactional', rules, { today: 9, campaignToday: 0 })).toEqual({ allowed: true, countsTowardCap: false });
  });

  it('a campaign cap holds for every category, below the cross-campaign one', () => {
    const withCampaign = { ...rules, campaignPerDay: 1 };
    expect(decideCaps('marketing', withCampaign, { today: 1, campaignToday: 1 })).toMatchObject({ allowed: false, detail: 'campaign cap of 1 per day reached' });
    expect(decideCaps('transactional', withCampaign, { today: 0, campaignToday: 1 })).toMatchObject({ allowed: false });
    expect(decideCaps('marketing', withCampaign, { today: 1, campaignToday: 0 })).toEqual({ allowed: true, countsTowardCap: true });
  });

  it('no policy cap means only the campaign cap applies', () => {
    expect(decideCaps('marketing', { exemptCategories: [] }, { today: 500, campaignToday: 3 })).toEqual({ allowed: true, countsTowardCap: true });
  });
});

describe('capDay and deliveryZone', () => {
  it('counts against the local calendar day, not the UTC one', () => {
    const now = new Date('2026-01-15T23:30:00Z');
    expect(capDay(now, 'UTC')).toBe('2026-01-15');
    expect(capDay(now, 'Europe/Berlin')).toBe('2026-01-16');
    expect(capDay(now, 'America/Los_Angeles')).toBe('2026-01-15');
  });

  it('a fall-back day is one day however long: 01:30 twice in New York is still 1 November', () => {
    expect(capDay(new Date('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('2026-11-01');
    expect(capDay(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('2026-11-01');
  });

  it('uses the user zone when valid, else the policy fallback, else UTC', () => {
    expect(deliveryZone('Asia/Tokyo', policy)).toBe('Asia/Tokyo');
    expect(deliveryZone('Mars/Olympus', policy)).toBe('UTC');
    expect(deliveryZone(null, { ...policy, quietHours: { ...policy.quietHours!, fallbackTimezone: 'Europe/Paris' } })).toBe('Europe/Paris');
    expect(deliveryZone(undefined, undefined)).toBe('UTC');
  });
});

describe('decideSend', () => {
  const base: SendFacts = {
    now: new Date('2026-01-15T15:00:00Z'),
    channel: 'email',
    category: 'marketing',
    consents: [],
    hasAddress: true,
    zone: 'UTC',
    policy,
    campaign: {},
    counts: { today: 0, campaignToday: 0 },
  };

  it('sends and names the local day it counts against', () => {
    // 20:00 UTC on the 15th is 09:00 on the 16th in Auckland (UTC+13).
    expect(decideSend({ ...base, now: new Date('2026-01-15T20:00:00Z'), zone: 'Pacific/Auckland' })).toEqual({ action: 'send', countsTowardCap: true, localDay: '2026-01-16' });
  });

  it('checks consent before anything else, then the address', () => {
    const refused = [choice('email', '*', false, '2026-01-01T00:00:00Z')];
    expect(decideSend({ ...base, consents: refused, hasAddress: false, counts: { today: 5, campaignToday: 5 } })).toMatchObject({ action: 'skip', reason: 'unsubscribed' });
    expect(decideSend({ ...base, hasAddress: false })).toEqual({ action: 'skip', reason: 'no_address', detail: 'no email address' });
    expect(decideSend({ ...base, channel: 'push', hasAddress: false })).toEqual({ action: 'skip', reason: 'no_address', detail: 'no device token' });
    expect(decideSend({ ...base, policy: { ...policy, consent: { optIn: ['email'] } } })).toMatchObject({ action: 'skip', reason: 'no_consent' });
  });

  it('defers in quiet hours before counting caps, so a capped user is told later, not now', () => {
    const night = new Date('2026-01-15T22:00:00Z');
    expect(decideSend({ ...base, now: night, counts: { today: 2, campaignToday: 0 } })).toEqual({ action: 'defer', until: new Date('2026-01-16T08:00:00Z') });
    expect(decideSend({ ...base, now: night, campaign: { duringQuietHours: 'skip' } })).toMatchObject({ action: 'skip', reason: 'quiet_hours' });
  });

  it('quiet hours hold the channels the policy names; an in-app message goes to the inbox at night', () => {
    const night = new Date('2026-01-15T22:00:00Z');
    expect(decideSend({ ...base, now: night, channel: 'in_app' })).toMatchObject({ action: 'send' });
    expect(decideSend({ ...base, now: night, channel: 'push' })).toMatchObject({ action: 'defer' });
    const emailOnly = { ...policy, quietHours: { ...policy.quietHours!, channels: ['email' as const] } };
    expect(decideSend({ ...base, now: night, channel: 'push', policy: emailOnly })).toMatchObject({ action: 'send' });
  });

  it('the campaign overrides the policy on quiet hours, and the caps skip with a reason', () => {
    const night = new Date('2026-01-15T22:00:00Z');
    expect(decideSend({ ...base, now: night, policy: { ...policy, duringQuietHours: 'skip' }, campaign: { duringQuietHours: 'defer' } })).toMatchObject({ action: 'defer' });
    expect(decideSend({ ...base, counts: { today: 2, campaignToday: 0 } })).toEqual({ action: 'skip', reason: 'capped', detail: 'daily cap of 2 across campaigns reached' });
    expect(decideSend({ ...base, category: 'transactional', counts: { today: 2, campaignToday: 0 } })).toMatchObject({ action: 'send', countsTowardCap: false });
  });

  it('with no policy at all, everything consented and addressed is sent at once', () => {
    expect(decideSend({ ...base, policy: undefined, now: new Date('2026-01-15T03:00:00Z'), counts: { today: 99, campaignToday: 99 } })).toMatchObject({ action: 'send' });
  });
});
