import { z } from 'zod';
import { GROUP_BY, parseGroupBy, type GroupBy } from '../../domain/experiments/campaign-metrics';

/** The longest range one stats request may ask for. */
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** A UTC day: YYYY-MM-DD, or a full ISO timestamp (its UTC day is taken). */
const day = z
  .string({ error: 'must be a date, YYYY-MM-DD' })
  .refine((text) => /^\d{4}-\d{2}-\d{2}([T ].*)?$/.test(text) && !Number.isNaN(Date.parse(text)), 'must be a date, YYYY-MM-DD (or an ISO timestamp)')
  .transform((text) => new Date(Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text)).toISOString().slice(0, 10));

const groupByText = `one of ${GROUP_BY.join(', ')}, or two of them joined by a comma (step,variant)`;

/** A grouping: one dimension, or two (`step,variant`: each step's funnel in each arm). */
const groupBy = z
  .string({ error: `must be ${groupByText}` })
  .refine((text) => parseGroupBy(text) !== undefined, `must be ${groupByText}`)
  .transform((text) => text as GroupBy)
  .describe(`the dimension(s) of \`groups\`: ${groupByText}`);

/** `from` and `to` as asked, else the 30 days up to today (UTC); an issue on `from` when the range is empty or past a year. */
function dayRange(query: { from?: string; to?: string }, ctx: z.RefinementCtx, now: () => number): { from: string; to: string } {
  const to = query.to ?? new Date(now()).toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1) ctx.addIssue({ code: 'custom', path: ['from'], message: `is after to (${from} > ${to})` });
  else if (days > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['from'], message: `the range ${from}..${to} is ${days} days; at most ${MAX_RANGE_DAYS} (a year)` });
  return { from, to };
}

/** A campaign's stats: a range of days (the last 30 by default), a version, a grouping. */
export function statsQuery(now: () => number = Date.now) {
  return z
    .object({
      from: day.optional(),
      to: day.optional(),
      version: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').optional(),
      groupBy: groupBy.default('day'),
    })
    .strict()
    .transform((query, ctx) => ({ ...dayRange(query, ctx, now), groupBy: query.groupBy, ...(query.version !== undefined && { version: query.version }) }));
}

/** The programme's stats: a range of days only. */
export function programmeQuery(now: () => number = Date.now) {
  return z
    .object({ from: day.optional(), to: day.optional() })
    .strict()
    .transform((query, ctx) => dayRange(query, ctx, now));
}

const interval = z.tuple([z.number(), z.number()]);
const count = z.number().int();

export const funnelSchema = z.object({
  entered: count,
  completed: count,
  exited: count,
  exitedBy: z.record(z.string(), count).describe('per reason: exit_event, goal, exit_step, cancelled'),
  sent: count,
  skipped: count,
  skippedBy: z.record(z.string(), count).describe('per reason: no_consent, capped, quiet_hours, no_address, no_profile'),
  failed: count,
  unknown: count,
  delivered: count,
  opened: count,
  clicked: count,
  unsubscribed: count,
  converted: count,
  rates: z.object({
    open: z.number().nullable().describe('opened / delivered'),
    clickThrough: z.number().nullable().describe('clicked / delivered'),
    conversion: z.number().nullable().describe('converted / entered'),
    unsubscribe: z.number().nullable().describe('unsubscribed / delivered'),
  }),
  timeToEngage: z.object({ count, medianSeconds: z.number().nullable(), p90Seconds: z.number().nullable() }).describe('from a send to its first open or click'),
  engagedTime: z
    .object({ count, medianSeconds: z.number().nullable(), p90Seconds: z.number().nullable() })
    .describe("per session after a message: the user's first event after it to the session's last (events at most 30 minutes apart)"),
});

const armSchema = z.object({
  variant: z.string(),
  entered: count,
  converted: count,
  rate: z.number(),
  rateInterval: interval.describe('Wilson 95%'),
  vsControl: z
    .object({
      absoluteUplift: z.number(),
      absoluteInterval: interval.describe('Newcombe hybrid score 95%'),
      relativeUplift: z.number().nullable(),
      relativeInterval: interval.nullable().describe('log risk ratio (Katz) 95%'),
      zTest: z.object({ z: z.number(), pValue: z.number() }).describe('fixed-sample two-proportion z-test: valid for one look only'),
      sequential: z.object({ interval, pValue: z.number() }).describe('anytime-valid confidence sequence and p-value'),
      significant: z.boolean().nullable().describe('by the sequential test at 5%; null under the minimum sample'),
      verdict: z.enum(['not_enough_data', 'better', 'worse', 'no_difference']),
    })
    .optional(),
});

const upliftSchema = z.object({ control: z.literal('global-control'), arms: z.array(armSchema) });
const programmeSchema = upliftSchema.nullable();

/** The answer of GET /v1/ops/campaigns/:id/stats, as the document shows it. */
export const campaignStatsSchema = z.object({
  campaign: z.object({ id: z.string(), name: z.string(), currentVersion: count }),
  range: z.object({ from: z.string(), to: z.string(), version: count.nullable() }),
  funnel: funnelSchema,
  groupBy: z.string().describe(`as asked: ${groupByText}`),
  groups: z.array(
    z.object({
      key: z.string().describe('the day, step, variant or channel ("" for journey-level counts); for two dimensions, both values joined by a comma'),
      keys: z.record(z.string(), z.string()).optional().describe('for two dimensions only: the value of each, e.g. { "step": "offer", "variant": "ten" }'),
      funnel: funnelSchema,
    }),
  ),
  experiment: z
    .object({
      control: z.string(),
      method: z.literal('sequential'),
      minSamples: count,
      arms: z.array(armSchema),
      winner: z
        .object({
          rule: z.object({ metric: z.literal('conversion_rate'), minSamples: count.optional(), after: z.string().optional(), afterMs: z.number().optional(), auto: z.boolean() }),
          ready: z.boolean(),
          winner: z.string().nullable(),
          reason: z.string(),
          decision: z
            .object({
              variant: z.string(),
              decidedAt: z.string(),
              reason: z.string(),
              figures: z.object({
                control: z.string(),
                arms: z.array(z.object({
                  variant: z.string(),
                  entered: count,
                  converted: count,
                  rate: z.number(),
                  sequentialPValue: z.number().nullable(),
                  verdict: z.string().nullable(),
                })),
              }),
            })
            .nullable()
            .optional()
            .describe('an auto rule: what it recorded when it decided (later entrants get this variant); null until then'),
        })
        .nullable(),
    })
    .nullable(),
  programme: programmeSchema.describe("the policy's global control group against this campaign's treated entrants: the programme's uplift"),
});

/** The answer of GET /v1/ops/programme/stats. */
export const programmeStatsSchema = z.object({
  range: z.object({ from: z.string(), to: z.string() }),
  globalControl: z
    .object({ percent: z.number(), categories: z.array(z.string()).nullable().describe('null: every category but transactional') })
    .nullable()
    .describe("policy.yaml's globalControl as it is now; null without one"),
  programme: programmeSchema.describe("the group against every covered campaign's treated entrants, pooled per entry (a user in two campaigns counts twice)"),
  campaigns: z
    .array(z.object({ id: z.string(), name: z.string(), category: z.string(), programme: upliftSchema }))
    .describe('each campaign with an entrant of the range in the group, with its own uplift'),
});
