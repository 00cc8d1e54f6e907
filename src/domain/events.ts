/** The fields of Segment's `context` campaigns may filter on, each present only when the call carried it. */
export interface EventContext {
  /** `context.device.type`, e.g. "ios", "android", "mobile". */
  deviceType?: string;
  /** `context.os.name`, e.g. "iOS". */
  os?: string;
  /** `context.app.version`. */
  appVersion?: string;
  /** `context.locale`, e.g. "en-US". */
  locale?: string;
  /** `context.campaign.name`: the UTM campaign. */
  utmCampaign?: string;
}

export const EVENT_CONTEXT_FIELDS = ['deviceType', 'os', 'appVersion', 'locale', 'utmCampaign'] as const satisfies readonly (keyof EventContext)[];

/** What a user did, as the user workflow receives it: no user ID, only what triggers need. */
export interface TrackedEvent {
  /** Client-supplied or generated ID; duplicates of it are dropped. */
  messageId: string;
  /** Event name, e.g. `Signed Up`. */
  event: string;
  properties: Record<string, unknown>;
  /** When it happened (ISO 8601), as the client says. */
  timestamp: string;
  /** When Beckon accepted it (ISO 8601). */
  receivedAt: string;
  /** The device, app and UTM campaign the call came with; absent when it carried none of them. */
  context?: EventContext;
}

/** Where event filters read from: `$context.<field>` paths reach the event's context, any other path its properties. */
export const EVENT_CONTEXT_PATH = '$context';

/** What an event filter (entry, exit, wait-for) is tested against: a property named `$context` is never read as the context. */
export function eventFilterSubject(event: Pick<TrackedEvent, 'properties' | 'context'>): Record<string, unknown> {
  return { ...event.properties, [EVENT_CONTEXT_PATH]: event.context ?? {} };
}
