import { z } from 'zod';

/** A year: a token that should live longer does not expire at all (`expiresIn: null`), and ends with its signing key. */
const MAX_EXPIRES_IN = 365 * 86_400;

/** Body of `POST /v1/users/:userId/token`. */
export const userTokenBody = z
  .object({
    expiresIn: z
      .number({ error: 'must be a number of seconds, or null for a token that does not expire' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(MAX_EXPIRES_IN, `must be at most ${MAX_EXPIRES_IN} seconds (a year); null makes a token that does not expire`)
      .nullable()
      .default(3600)
      .describe('Seconds the token is valid (default an hour); null: until the signing key is rotated out'),
  })
  .default({ expiresIn: 3600 });
