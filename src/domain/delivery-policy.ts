import type { Channel, DeliveryPolicy } from './campaign/campaign-schema';
import { effectiveZone, localDay, quietHoursEnd } from './time';

/**
 * The rules a message step must pass at send time, as pure functions of what the send path read
 * under the user's row lock: consent, a contact point, quiet hours, then the daily caps.
 */

/** Why a message was not sent; the journey's history and the deliveries table carry it. */
export type SkipReason = 'no_consent' | 'unsubscribed' | 'no_address' | 'quiet_hours' | 'capped' | 'no_profile';

/** A consent choice as stored: `category` is a campaign category or `*` for the whole channel. */
export interface ConsentView {
  channel: string;
  category: string;
  granted: boolean;
  changedAt: string;
}

export type ConsentDecision = { allowed: true } | { allowed: false; reason: 'no_consent' | 'unsubscribed' };

/**
 * Among the user's choices that apply (the channel's `*` and the campaign's category), the most
 * recent wins, a refusal winning a tie: "unsubscribe from all email" after "yes to product news"
 * stops both, and "yes to product news" afterwards brings that category back. With no choice at
 * all, a channel listed in `optInChannels` is refused and any other is allowed (opt-out).
 */
export function decideConsent(choices: readonly ConsentView[], channel: Channel, category: string, optInChannels: readonly Channel[]): ConsentDecision {
  const applicable = choices
    .filter((choice) => choice.channel === channel && (choice.category === '*' || choice.category === category))
    .sort((a, b) => Date.parse(b.changedAt) - Date.parse(a.changedAt) || Number(a.granted) - Number(b.granted));
  const latest = applicable[0];
  if (latest) return latest.granted ? { allowed: true } : { allowed: false, reason: 'unsubscribed' };
  return optInChannels.includes(channel) ? { allowed: false, reason: 'no_consent' } : { allowed: true };
}

export type QuietHoursBehaviour = 'defer' | 'skip';

export type QuietHoursDecision = { action: 'send' } | { action: 'defer'; until: Date } | { action: 'skip' };

/** Inside the user's quiet hours a message waits for their local end or is skipped; outside them it goes. */
export function decideQuietHours(now: Date, quiet: DeliveryPolicy['quietHours'], zone: string, behaviour: QuietHoursBehaviour): QuietHoursDecision {
  if (!quiet) return { action: 'send' };
  const end = quietHoursEnd(now, quiet, zone);
  if (!end) return { action: 'send' };
  return behaviour === 'defer' ? { action: 'defer', until: end } : { action: 'skip' };
}

export interface CapCounts {
  /** Messages that count against the cap, reserved or sent to this user on the local day, across all campaigns. */
  today: number;
  /** The same, from this campaign alone. */
  campaignToday: number;
}

export interface CapRules {
  /** The policy's cap across campaigns; undefined when there is none. */
  perDay?: number;
  /** Categories neither counted nor capped across campaigns (transactional). */
  exemptCategories: readonly string[];
  /** The campaign's own cap per user per local day, which applies whatever its category. */
  campaignPerDay?: number;
}

export type CapDecision = { allowed: true; countsTowardCap: boolean } | { allowed: false; reason: 'capped'; detail: string };

/** The per-campaign cap applies to every category; the cross-campaign cap spares exempt categories, which do not count towards it either. */
export function decideCaps(category: string, rules: CapRules, counts: CapCounts): CapDecision {
  if (rules.campaignPerDay !== undefined && counts.campaignToday >= rules.campaignPerDay) {
    return { allowed: false, reason: 'capped', detail: `campaign cap of ${rules.campaignPerDay} per day reached` };
  }
  const exempt = rules.exemptCategories.includes(category);
  if (!exempt && rules.perDay !== undefined && counts.today >= rules.perDay) {
    return { allowed: false, reason: 'capped', detail: `daily cap of ${rules.perDay} across campaigns reached` };
  }
  return { allowed: true, countsTowardCap: !exempt };
}

/** The zone the user's day and quiet hours are reckoned in: their own if valid, else the policy's fallback, else UTC. */
export function deliveryZone(userZone: string | null | undefined, policy: DeliveryPolicy | undefined): string {
  return effectiveZone(userZone ?? undefined, policy?.quietHours?.fallbackTimezone ?? 'UTC');
}

/** The local calendar day "YYYY-MM-DD" a send at `now` counts against. */
export function capDay(now: Date, zone: string): string {
  return localDay(now, zone);
}

export interface SendFacts {
  now: Date;
  channel: Channel;
  category: string;
  consents: readonly ConsentView[];
  /** False when the channel has nowhere to go for this user (no email address, no device token). */
  hasAddress: boolean;
  zone: string;
  policy: DeliveryPolicy | undefined;
  campaign: { perDay?: number; duringQuietHours?: QuietHoursBehaviour };
  counts: CapCounts;
}

export type SendDecision =
  | { action: 'send'; countsTowardCap: boolean; localDay: string }
  | { action: 'defer'; until: Date }
  | { action: 'skip'; reason: SkipReason; detail: string };

/** Consent first (a refusal is the reason that matters most), then an address, quiet hours, and the caps last (a deferred message does not count). */
export function decideSend(facts: SendFacts): SendDecision {
  const { policy } = facts;
  const consent = decideConsent(facts.consents, facts.channel, facts.category, policy?.consent.optIn ?? []);
  if (!consent.allowed) {
    const detail = consent.reason === 'unsubscribed' ? `opted out of ${facts.channel}` : `${facts.channel} needs opt-in and the user has not given it`;
    return { action: 'skip', reason: consent.reason, detail };
  }
  if (!facts.hasAddress) return { action: 'skip', reason: 'no_address', detail: `no ${facts.channel === 'push' ? 'device token' : `${facts.channel} address`}` };
  const behaviour = facts.campaign.duringQuietHours ?? policy?.duringQuietHours ?? 'defer';
  const quietHours = policy?.quietHours?.channels.includes(facts.channel) ? policy.quietHours : undefined;
  const quiet = decideQuietHours(facts.now, quietHours, facts.zone, behaviour);
  if (quiet.action === 'defer') return { action: 'defer', until: quiet.until };
  if (quiet.action === 'skip') return { action: 'skip', reason: 'quiet_hours', detail: `inside quiet hours in ${facts.zone}` };
  const caps = decideCaps(facts.category, {
    ...(policy && { perDay: policy.frequencyCap.perDay }),
    exemptCategories: policy?.frequencyCap.exemptCategories ?? [],
    ...(facts.campaign.perDay !== undefined && { campaignPerDay: facts.campaign.perDay }),
  }, facts.counts);
  if (!caps.allowed) return { action: 'skip', reason: 'capped', detail: caps.detail };
  return { action: 'send', countsTowardCap: caps.countsTowardCap, localDay: capDay(facts.now, facts.zone) };
}
