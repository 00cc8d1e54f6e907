import { z } from 'zod';
import { userParams } from './common-schemas';

/** `?unread=true`: query strings carry text, so booleans are the words true and false. */
const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((text) => text === 'true');

/** Cursors are opaque to clients: base64url of `before:<id>`. */
export function encodeCursor(beforeId: string): string {
  return Buffer.from(`before:${beforeId}`, 'utf8').toString('base64url');
}

/** The largest bigserial; 19 digits can be past it, and Postgres would refuse such an id with an error instead of finding nothing. */
const MAX_ID = 9_223_372_036_854_775_807n;
// Not digits is the pattern's problem to name; zod runs this check after a failed pattern too.
const fitsBigint = (digits: string) => !/^\d+$/.test(digits) || BigInt(digits) <= MAX_ID;

const cursor = z.string().transform((text, ctx) => {
  const match = /^before:([1-9]\d{0,18})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match?.[1] || !fitsBigint(match[1])) {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API gave out (use the `next` of a previous page)' });
    return z.NEVER;
  }
  return match[1];
});

export const inboxListQuery = z.object({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  cursor: cursor.optional(),
  unread: flag.default(false),
  includeDismissed: flag.default(false),
});

/** Message ids are bigserial: digits only, so a bad one is a 400 rather than a database error. */
export const messageParams = userParams.extend({
  messageId: z.string().regex(/^[1-9]\d{0,18}$/, 'must be a message id (digits)').refine(fitsBigint, 'is past the largest message id'),
});

/** An in-app click may name the link the user followed; by default the message's own action URL. */
export const clickBody = z
  .object({ url: z.url({ message: 'must be an absolute URL' }).max(2048, 'must be at most 2048 characters').optional() })
  .default({});

/** `Last-Event-ID` (or `?lastEventId=` for clients that cannot set headers): the id of the last message the client has. */
export const lastEventId = z
  .string()
  .regex(/^(0|[1-9]\d{0,18})$/, 'must be the id of an inbox message (digits)')
  .refine(fitsBigint, 'is past the largest message id');
