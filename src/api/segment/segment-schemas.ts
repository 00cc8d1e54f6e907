import { z } from 'zod';

/**
 * The Segment HTTP Tracking API, as Segment and RudderStack clients send it. Field names and paths
 * follow Segment's spec; unknown top-level fields are kept out (not an error), as Segment does.
 */

/** Segment's limit on one message (a single call, or one item of a batch). */
export const MESSAGE_LIMIT_BYTES = 32 * 1024;
/** Segment's limit on one batch request. */
export const BATCH_LIMIT_BYTES = 500 * 1024;

// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const noControlCharacters = (text: string) => !/[\u0000-\u001f\u007f]/.test(text);

function text(what: string, max: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);
}

/** Segment clients may send numeric IDs; they name the same user as their decimal text. */
function identifier(what: string) {
  return z.preprocess(
    (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value),
    text(what, 256).refine(noControlCharacters, { message: 'must not contain control characters' }),
  );
}

const object = (what: string) => z.record(z.string(), z.unknown(), { error: `must be an object (${what})` });

const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z' });

const common = {
  userId: identifier('a string or number').optional(),
  anonymousId: identifier('a string or number').optional(),
  messageId: text('a string', 200).optional(),
  timestamp: isoDate.optional(),
  originalTimestamp: isoDate.optional(),
  sentAt: isoDate.optional(),
  context: object('context').optional(),
  integrations: object('integrations').optional(),
};

/** Every call but alias names who did it: a userId, an anonymousId, or both. */
const whoRequired = <T extends { userId?: string; anonymousId?: string }>(message: T, ctx: z.RefinementCtx) => {
  if (message.userId === undefined && message.anonymousId === undefined) {
    ctx.addIssue({ code: 'custom', path: ['userId'], message: 'is required when anonymousId is absent (send userId, anonymousId or both)' });
  }
};

export const trackMessage = z
  .object({ ...common, type: z.literal('track').optional(), event: text('a string', 200), properties: object('properties').default({}) })
  .superRefine(whoRequired);

export const identifyMessage = z
  .object({ ...common, type: z.literal('identify').optional(), traits: object('traits').default({}) })
  .superRefine(whoRequired);

const viewFields = { name: text('a string', 200).optional(), category: text('a string', 200).optional(), properties: object('properties').default({}) };

export const pageMessage = z.object({ ...common, type: z.literal('page').optional(), ...viewFields }).superRefine(whoRequired);

export const screenMessage = z.object({ ...common, type: z.literal('screen').optional(), ...viewFields }).superRefine(whoRequired);

export const aliasMessage = z.object({
  ...common,
  type: z.literal('alias').optional(),
  userId: identifier('a string or number'),
  previousId: identifier('a string or number'),
});

/** A user belongs to a group (an account, a company); the traits are the group's own, not the user's. */
export const groupMessage = z
  .object({ ...common, type: z.literal('group').optional(), groupId: identifier('a string or number'), traits: object('traits').default({}) })
  .superRefine(whoRequired);

export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const messageSchemas = {
  track: trackMessage,
  identify: identifyMessage,
  page: pageMessage,
  screen: screenMessage,
  group: groupMessage,
  alias: aliasMessage,
} as const;

export type SegmentMessage =
  | ({ type: 'track' } & z.infer<typeof trackMessage>)
  | ({ type: 'identify' } & z.infer<typeof identifyMessage>)
  | ({ type: 'page' } & z.infer<typeof pageMessage>)
  | ({ type: 'screen' } & z.infer<typeof screenMessage>)
  | ({ type: 'group' } & z.infer<typeof groupMessage>)
  | ({ type: 'alias' } & z.infer<typeof aliasMessage>);

/** The envelope of `/v1/batch`; its items are checked one by one so a bad item does not sink the rest. */
export const batchEnvelope = z.object({
  batch: z
    .array(z.unknown(), { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list of messages') })
    .min(1, 'must hold at least one message')
    .max(2_500, 'must hold at most 2500 messages'),
  sentAt: isoDate.optional(),
  context: object('context').optional(),
  integrations: object('integrations').optional(),
  writeKey: z.string().optional(),
});

export const batchItemType = z.object({
  type: z.enum(MESSAGE_TYPES, { error: `must be one of ${MESSAGE_TYPES.join(', ')}` }),
});
