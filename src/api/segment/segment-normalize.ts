import { randomUUID } from 'node:crypto';
import type { EventContext } from '../../domain/events';
import { jsonLimitProblem } from '../../domain/json-limits';
import type { FieldProblem } from '../errors';
import { MESSAGE_LIMIT_BYTES, messageSchemas, type MessageType, type SegmentMessage } from './segment-schemas';

/** Clock skew tolerated on a timestamp that no `sentAt` lets us correct. */
const MAX_FUTURE_MS = 24 * 3_600_000;

/** One accepted call, in the shape the ingestion pipeline works with. */
export interface IngestMessage {
  type: MessageType;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  /** For track, page and screen: the event name the user workflow sees. */
  event?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  /** For track, page and screen: the few context fields campaigns may filter on, when the call carried any. */
  eventContext?: EventContext;
  /** group: the group the user belongs to; its traits are in `traits`. */
  groupId?: string;
  /** alias: the ID the user had before (an anonymousId or an older userId). */
  previousId?: string;
  /** When it happened, corrected for the client's clock (ISO 8601). */
  timestamp: string;
  receivedAt: string;
}

export type Checked = { ok: true; message: IngestMessage } | { ok: false; problems: FieldProblem[] };

/**
 * Segment's clock-skew correction: the client's clock may be wrong, but the gap between when it
 * says the event happened and when it says it sent the request is right. So the event happened
 * that long before Beckon received the request.
 */
export function correctedTimestamp(received: Date, timestamp?: string, sentAt?: string): string {
  if (!timestamp) return received.toISOString();
  if (!sentAt) return new Date(timestamp).toISOString();
  const gap = Date.parse(sentAt) - Date.parse(timestamp);
  return new Date(received.getTime() - Math.max(gap, 0)).toISOString();
}

/** Deeper than any real call nests; past a few thousand levels JSON.stringify, and with it the Temporal payload converter, runs out of stack. */
export const MAX_NESTING = 32;

/** Page and screen calls reach campaigns as events with these names, their name and category among the properties. */
export const VIEW_EVENTS = { page: 'Page Viewed', screen: 'Screen Viewed' } as const;

const textIn = (value: unknown, ...path: string[]): string | undefined => {
  let current = value;
  for (const key of path) current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined;
  if (typeof current === 'number') return String(current);
  return typeof current === 'string' && current.trim() !== '' ? current.trim().slice(0, 200) : undefined;
};

/** Segment's context reduced to what campaigns filter on, so the user workflow's payloads stay small. */
export function eventContextOf(context: Record<string, unknown>): EventContext | undefined {
  const picked: EventContext = {
    deviceType: textIn(context, 'device', 'type'),
    os: textIn(context, 'os', 'name'),
    appVersion: textIn(context, 'app', 'version'),
    locale: textIn(context, 'locale'),
    utmCampaign: textIn(context, 'campaign', 'name'),
  };
  const present = Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined)) as EventContext;
  return Object.keys(present).length > 0 ? present : undefined;
}

/**
 * Checks one call of a known type and normalises it. `envelope` carries a batch's own `sentAt`
 * and `context`, which its items inherit.
 */
export function checkMessage(
  type: MessageType,
  raw: unknown,
  received: Date,
  envelope: { sentAt?: string; context?: Record<string, unknown> } = {},
  prefix?: string,
): Checked {
  const at = (path: string) => [prefix, path].filter(Boolean).join('.');
  // Traits and properties reach Postgres and rendered messages, which cannot hold NUL; too deep is named at its top-level field.
  const unstorable = jsonLimitProblem(raw, MAX_NESTING);
  if (unstorable) {
    const path = unstorable.kind === 'depth' ? unstorable.path.slice(0, 1) : unstorable.path;
    return { ok: false, problems: [{ path: at(path.join('.')), reason: unstorable.reason }] };
  }
  const size = Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8');
  if (size > MESSAGE_LIMIT_BYTES) {
    return { ok: false, problems: [{ path: at(''), reason: `is ${size} bytes; one message may be at most ${MESSAGE_LIMIT_BYTES} bytes` }] };
  }
  const parsed = messageSchemas[type].safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => ({ path: at(issue.path.map(String).join('.')), reason: issue.message })) };
  }
  const message = { ...parsed.data, type } as SegmentMessage;
  const timestamp = correctedTimestamp(received, message.timestamp ?? message.originalTimestamp, message.sentAt ?? envelope.sentAt);
  if (Date.parse(timestamp) > received.getTime() + MAX_FUTURE_MS) {
    return { ok: false, problems: [{ path: at('timestamp'), reason: 'must not be more than 24 hours in the future' }] };
  }
  const base = {
    type,
    messageId: message.messageId ?? randomUUID(),
    userId: message.userId,
    anonymousId: message.anonymousId,
    context: { ...envelope.context, ...message.context },
    timestamp,
    receivedAt: received.toISOString(),
    properties: {},
    traits: {},
  };
  const eventContext = eventContextOf(base.context);
  const withContext = eventContext ? { eventContext } : {};
  switch (message.type) {
    case 'track':
      return { ok: true, message: { ...base, ...withContext, event: message.event, properties: message.properties } };
    case 'identify':
      return { ok: true, message: { ...base, traits: message.traits } };
    case 'page':
    case 'screen': {
      const named = { ...(message.name ? { name: message.name } : {}), ...(message.category ? { category: message.category } : {}) };
      return { ok: true, message: { ...base, ...withContext, event: VIEW_EVENTS[message.type], properties: { ...message.properties, ...named } } };
    }
    case 'group':
      return { ok: true, message: { ...base, groupId: message.groupId, traits: message.traits } };
    case 'alias':
      return { ok: true, message: { ...base, previousId: message.previousId } };
  }
}
