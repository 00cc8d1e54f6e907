import { z } from 'zod';

/** A string field whose errors read "is required" / "must be a string" rather than zod's defaults. */
function text() {
  return z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const noControlCharacters = (value: string) => !/[\u0000-\u001f\u007f]/.test(value);

/** As ingestion takes it: a userId with a control character never sent an event, and Postgres text cannot hold NUL. */
const userId = text()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(noControlCharacters, 'must not contain control characters');

/** Clock skew tolerated on a client's timestamp. */
const MAX_FUTURE_MS = 24 * 3_600_000;

/** Body of `POST /v1/track`: one thing a user did. */
export const trackBody = z.object({
  userId,
  event: text().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  properties: z.record(z.string(), z.unknown(), { error: 'must be an object' }).default({}),
  messageId: text().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  timestamp: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z' })
    // A future time would stay the user's "last seen" for good and skew every "within" condition.
    .refine((text) => Date.parse(text) <= Date.now() + MAX_FUTURE_MS, { message: 'must not be more than 24 hours in the future' })
    .optional(),
});
export type TrackBody = z.infer<typeof trackBody>;

export const userParams = z.object({ userId });

export const inboxQuery = z.object({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});
