import type { TrackedEvent } from './events';

/** Event names that engagement reports become in the user's workflow; campaigns can wait for them. */
export const MESSAGE_OPENED = 'Message Opened';
export const MESSAGE_CLICKED = 'Message Clicked';

export type EngagementKind = 'opened' | 'clicked';

/** The parts of a delivery key `campaign:vN:pseudonym:entry:step` (see `deliveryKey` in campaign.ts). */
export interface DeliveryRef {
  campaignId: string;
  campaignVersion: number;
  pseudonym: string;
  entry: number;
  stepId: string;
}

/** Reads a delivery key; undefined when it is not one (campaign ids, pseudonyms and step ids hold no ':'). */
export function parseDeliveryKey(key: string): DeliveryRef | undefined {
  const parts = key.split(':');
  if (parts.length !== 5) return undefined;
  const [campaignId, version, pseudonym, entry, stepId] = parts as [string, string, string, string, string];
  const versionMatch = /^v([1-9]\d{0,8})$/.exec(version);
  if (!campaignId || !pseudonym || !stepId || !versionMatch || !/^[1-9]\d{0,8}$/.test(entry)) return undefined;
  return { campaignId, campaignVersion: Number(versionMatch[1]), pseudonym, entry: Number(entry), stepId };
}

/** 64 bits of two FNV-1a lanes, in hex: keeps messageIds short whatever the URL (no Node built-ins in domain code). */
function urlDigest(url: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193) ^ (a >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export interface Engagement {
  kind: EngagementKind;
  deliveryKey: string;
  channel: string;
  /** The link followed, for clicks. */
  url?: string;
}

/**
 * A deterministic messageId per engagement: a re-opened mail, a retried report or a second tap counts
 * once; clicks on different links of one message count apart.
 */
export function engagementMessageId(engagement: Engagement): string {
  if (engagement.kind === 'opened') return `opened:${engagement.deliveryKey}`;
  return `clicked:${engagement.deliveryKey}:${urlDigest(engagement.url ?? '')}`;
}

/** The event an engagement becomes, or undefined when its delivery key is not one Beckon made. */
export function engagementEvent(engagement: Engagement, now: Date): TrackedEvent | undefined {
  const ref = parseDeliveryKey(engagement.deliveryKey);
  if (!ref) return undefined;
  const properties: Record<string, unknown> = {
    campaignId: ref.campaignId,
    campaignVersion: ref.campaignVersion,
    stepId: ref.stepId,
    entry: ref.entry,
    channel: engagement.channel,
  };
  if (engagement.kind === 'clicked' && engagement.url !== undefined) properties.url = engagement.url;
  const at = now.toISOString();
  return {
    messageId: engagementMessageId(engagement),
    event: engagement.kind === 'opened' ? MESSAGE_OPENED : MESSAGE_CLICKED,
    properties,
    timestamp: at,
    receivedAt: at,
  };
}
