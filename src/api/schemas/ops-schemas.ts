import { z } from 'zod';
import { ADMIN_SCOPES } from '../../privacy/admin-token';

const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    // Names, sources and ids are stored or looked up in Postgres, whose text cannot hold NUL.
    .refine((value) => !value.includes('\u0000'), 'must not contain the NUL character (\\u0000)');

const campaignId = text(63).regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a campaign id: lower-case letters, digits, "-" or "_"');

export const campaignParams = z.object({ campaignId });
export const userParams = z.object({ userId: text(256) });
export const journeyParams = z.object({
  userId: text(256),
  campaignId,
  entry: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1'),
});
export const workflowParams = z.object({ workflowId: text(400).regex(/^journey:/, 'must be a journey workflow id (journey:<campaign>:<pseudonym>:<entry>)') });
export const batchParams = z.object({ jobId: text(200) });
export const tokenParams = z.object({ tokenId: text(12) });

export const listCampaignsQuery = z.object({
  archived: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
});

/** A campaign definition as the file holds it (YAML or JSON text), and a name for it in errors and history. */
export const campaignTextBody = z.object({
  text: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).min(1, 'must not be empty').max(256 * 1024, 'must be at most 256 KB'),
  source: text(300).default('api'),
});

export const reasonBody = z.object({ reason: text(500).optional() }).default({});

export const createTokenBody = z.object({
  name: text(100),
  scopes: z.array(z.enum(ADMIN_SCOPES, { error: `must be one of ${ADMIN_SCOPES.join(', ')}` }), { error: 'must be a list of scopes' }).min(1, 'must name at least one scope'),
});

/** Who to re-run a campaign for: a list of user IDs or a visibility query over user workflows, not both. */
export const rerunBody = z
  .object({
    userIds: z.array(text(256), { error: 'must be a list of user IDs' }).min(1, 'must name at least one user').max(1000, 'must name at most 1000 users (use query for more)').optional(),
    query: text(2000).optional(),
    dryRun: z.boolean({ error: 'must be true or false' }).default(false),
    reason: text(500).optional(),
  })
  .refine((body) => (body.userIds === undefined) !== (body.query === undefined), { message: 'give either userIds or query, not both', path: ['userIds'] });
