import { z } from 'zod';
import { CHANNELS } from '../../domain/campaign/campaign-schema';
import { ANY_CATEGORY } from '../../db/consent-repository';

/** A channel, or `tracking`: the purpose of keeping what the user does (policy.yaml `tracking.requireConsent`). */
const PURPOSES = [...CHANNELS, 'tracking'] as const;
const channel = z.enum(PURPOSES, { error: `must be one of ${PURPOSES.join(', ')}` });

/** A campaign category (`marketing`, `product-updates`...) or `*` for the whole channel. */
const category = z
  .string({ error: 'must be a string' })
  .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/, 'must be "*" (the whole channel) or a category name: letters, digits, "_", "-", "." (at most 64)')
  .default(ANY_CATEGORY);

/** Who or what made the change, kept in the history: `api` when not said. */
const source = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be lower-case letters, digits, "_", "-" or "." (at most 64), e.g. preference-center')
  .default('api');

const choice = z.object({
  channel,
  category,
  granted: z.boolean({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be true or false') }),
});

/** Body of `PUT`/`PATCH /v1/users/:userId/consent`: the choices to set; the others stay as they are. */
export const consentBody = z
  .object({
    consents: z.array(choice, { error: 'must be a list of {channel, category, granted}' }).min(1, 'must name at least one choice').max(50, 'must name at most 50 choices'),
    source,
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.consents.forEach((c, index) => {
      const key = `${c.channel}/${c.category}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['consents', index], message: `sets ${key} a second time` });
      seen.add(key);
    });
  });
