import { z } from 'zod';
import { FILTER_OPERATORS } from '../conditions';
import { EVENT_CONTEXT_FIELDS, EVENT_CONTEXT_PATH } from '../events';
import { isValidTimeZone, parseClockTime, parseDuration, WEEKDAYS } from '../time';

/**
 * The campaign definition language, as authors write it (YAML or JSON). Durations are text
 * ("48h", "4 hours") and are checked here, so a bad one is rejected when the campaign is loaded
 * with its path and reason, never discovered when a journey reaches it.
 */

const identifier = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, "-" or "_" (at most 63), starting with a letter or digit');

const eventName = z.string({ error: 'must be an event name' }).trim().min(1, 'must not be empty').max(200);

/** A duration in text, kept as written (for the Web UI) and checked to parse. */
/** 100 years: workflows add a duration to now and write the result as a date, which stops existing a few hundred thousand years out. */
const MAX_DURATION_MS = 36_500 * 86_400_000;

const duration = z.string({ error: 'must be a duration such as "48h" or "4 hours"' }).superRefine((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
  else if (parsed.ms > MAX_DURATION_MS) ctx.addIssue({ code: 'custom', message: `"${text}" is longer than 36500 days (100 years), the longest duration a campaign may use` });
});

const clockTime = z.string({ error: 'must be a time "HH:mm"' }).refine((text) => parseClockTime(text) !== undefined, {
  message: 'must be a 24-hour time "HH:mm", e.g. "10:00"',
});

const timeZone = z.string().refine(isValidTimeZone, { message: 'is not an IANA time zone, e.g. "America/New_York"' });

export const propertyFilterSchema = z.object({
  property: z.string().min(1, 'must name a property (dot path)'),
  op: z.enum(FILTER_OPERATORS, { error: `must be one of ${FILTER_OPERATORS.join(', ')}` }),
  value: z.unknown().optional(),
}).strict().superRefine((filter, ctx) => {
  const [head, field, ...deeper] = filter.property.split('.');
  if (head === EVENT_CONTEXT_PATH && (!(EVENT_CONTEXT_FIELDS as readonly string[]).includes(field ?? '') || deeper.length > 0)) {
    ctx.addIssue({ code: 'custom', path: ['property'], message: `"${EVENT_CONTEXT_PATH}." must be followed by one of ${EVENT_CONTEXT_FIELDS.join(', ')}` });
  }
  const needsValue = filter.op !== 'exists' && filter.op !== 'not_exists';
  if (needsValue && filter.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `is required for "${filter.op}"` });
  if ((filter.op === 'in' || filter.op === 'not_in') && !Array.isArray(filter.value)) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a list for "${filter.op}"` });
  }
});

const countOperators = ['gt', 'gte', 'lt', 'lte', 'equals'] as const;

/** User conditions as written; `within` is text, turned into milliseconds by `compileCondition`. */
export type WrittenCondition =
  | { type: 'trait' | 'group_trait'; filter: z.infer<typeof propertyFilterSchema> }
  | { type: 'did'; event: string; within?: string; atLeast?: number }
  | { type: 'did_not'; event: string; within?: string }
  | { type: 'event_count'; event: string; op: (typeof countOperators)[number]; value: number }
  | { type: 'all' | 'any'; conditions: WrittenCondition[] }
  | { type: 'not'; condition: WrittenCondition };

export const conditionSchema: z.ZodType<WrittenCondition> = z.lazy(() =>
  z.discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('trait'), filter: propertyFilterSchema }).strict(),
      z.object({ type: z.literal('group_trait'), filter: propertyFilterSchema }).strict(),
      z.object({ type: z.literal('did'), event: eventName, within: duration.optional(), atLeast: z.number().int().min(1).optional() }).strict(),
      z.object({ type: z.literal('did_not'), event: eventName, within: duration.optional() }).strict(),
      z.object({ type: z.literal('event_count'), event: eventName, op: z.enum(countOperators), value: z.number().int().min(0) }).strict(),
      z.object({ type: z.enum(['all', 'any']), conditions: z.array(conditionSchema).min(1, 'must list at least one condition') }).strict(),
      z.object({ type: z.literal('not'), condition: conditionSchema }).strict(),
    ],
    { error: 'must have a type: trait, group_trait, did, did_not, event_count, all, any or not' },
  ),
);

export const CHANNELS = ['in_app', 'push', 'email', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Where a step goes next: another step's id, "next" (the following step) or "exit". */
const target = z.string().min(1, 'must name a step, "next" or "exit"');

const stepBase = { id: identifier, next: target.optional() };

/** A share in percent. */
const percent = z.number({ error: 'must be a percentage from 0 to 100' }).min(0, 'must be a percentage from 0 to 100').max(100, 'must be a percentage from 0 to 100');

export const stepSchema = z.discriminatedUnion(
  'type',
  [
    z.object({
      ...stepBase,
      type: z.literal('message'),
      /** The template sent; or `variants`, one of several templates by share (an A/B test of the message). */
      template: identifier.optional(),
      /** Extra variables for the template, beside the user's traits and the entry event's properties. */
      variables: z.record(z.string(), z.unknown()).optional(),
      variants: z
        .array(z.object({ name: identifier, percent: percent, template: identifier, variables: z.record(z.string(), z.unknown()).optional() }).strict())
        .min(2, 'must have at least two variants')
        .optional(),
    }).strict(),
    z.object({ ...stepBase, type: z.literal('wait'), duration }).strict(),
    z.object({
      ...stepBase,
      type: z.literal('wait_until'),
      at: clockTime,
      /** Used when the user's own time zone is unknown or invalid. */
      fallbackTimezone: timeZone.default('UTC'),
      weekdays: z.array(z.enum(WEEKDAYS)).min(1).optional(),
      /** Not on the local day the wait starts: "the next day at 10:00". */
      nextDay: z.boolean().default(false),
    }).strict(),
    z.object({
      ...stepBase,
      type: z.literal('wait_for_event'),
      event: eventName,
      filters: z.array(propertyFilterSchema).optional(),
      /** The awaited event must carry the same value at `property` as the entry event at `entryProperty`. */
      matchEntry: z.object({ property: z.string().min(1), entryProperty: z.string().min(1) }).strict().optional(),
      timeout: duration,
      onEvent: target,
      onTimeout: target,
    }).strict(),
    z.object({ ...stepBase, type: z.literal('branch'), condition: conditionSchema, then: target, else: target }).strict(),
    z.object({
      ...stepBase,
      type: z.literal('split'),
      variants: z
        .array(z.object({ name: identifier, percent, next: target }).strict())
        .min(2, 'must have at least two variants'),
    }).strict(),
    z.object({ id: identifier, type: z.literal('exit') }).strict(),
  ],
  { error: 'must have a type: message, wait, wait_until, wait_for_event, branch, split or exit' },
);

export const templateSchema = z.discriminatedUnion(
  'channel',
  [
    z.object({ channel: z.literal('in_app'), title: z.string().min(1), body: z.string().min(1), url: z.string().optional() }).strict(),
    z.object({ channel: z.literal('push'), title: z.string().min(1), body: z.string().min(1), url: z.string().optional() }).strict(),
    z.object({ channel: z.literal('email'), subject: z.string().min(1), text: z.string().min(1), html: z.string().optional() }).strict(),
    z.object({ channel: z.literal('webhook'), url: z.string().url('must be a URL'), body: z.record(z.string(), z.unknown()) }).strict(),
  ],
  { error: `must have a channel: ${CHANNELS.join(', ')}` },
);

/** How a conversion is credited to the entry's messages (README, "Campaign metrics"). */
export const ATTRIBUTIONS = ['last_touch', 'first_touch', 'none'] as const;
export type Attribution = (typeof ATTRIBUTIONS)[number];

export const campaignDefinitionSchema = z.object({
  id: identifier,
  name: z.string().min(1, 'must not be empty').max(200),
  description: z.string().optional(),
  /** Consent category the messages belong to; "transactional" may bypass caps (delivery decides). */
  category: z.string().min(1).default('marketing'),
  entry: z
    .object({
      event: eventName,
      filters: z.array(propertyFilterSchema).optional(),
      conditions: z.array(conditionSchema).optional(),
      /** Enter only when none of these events follows the entry event within the window (the "72h without engagement" rule). */
      absence: z.object({ events: z.array(eventName).min(1, 'must list at least one event'), within: duration }).strict().optional(),
    })
    .strict(),
  reentry: z
    .discriminatedUnion('mode', [
      z.object({ mode: z.literal('once') }).strict(),
      z.object({ mode: z.literal('every_time') }).strict(),
      z.object({ mode: z.literal('once_per'), period: duration }).strict(),
    ], { error: 'must have a mode: once, every_time or once_per' })
    .default({ mode: 'every_time' }),
  /** At most one running journey per user unless this allows more. */
  allowConcurrent: z.boolean().default(false),
  /** Events that end a running journey at once, whatever step it is at. */
  exitOn: z.array(z.object({ event: eventName, filters: z.array(propertyFilterSchema).optional() }).strict()).default([]),
  /** The conversion: this event within `within` of entry, watched also after the journey ends and for held-out users. */
  goal: z
    .object({
      event: eventName,
      filters: z.array(propertyFilterSchema).optional(),
      within: duration,
      exit: z.boolean().default(true),
      /** Which message of the entry a conversion is credited to: its last before the goal (default), its first, or none. */
      attribution: z.enum(ATTRIBUTIONS, { error: `must be one of ${ATTRIBUTIONS.join(', ')}` }).optional(),
    })
    .strict()
    .optional(),
  /** Percent of entrants held out: recorded as entered, sent nothing, measured the same way (the control group). */
  holdout: percent.optional(),
  /** Assignment to holdout and variants is stable per (user, campaign, salt); a new salt reshuffles everyone. */
  salt: z.string().min(1).max(100).optional(),
  /** When the experiment has a winner: the metric, after how many entrants per arm (or how long), and whether it is applied. */
  winner: z
    .object({
      metric: z.literal('conversion_rate', { error: 'must be conversion_rate (the metric the winner is chosen by)' }),
      minSamples: z.number().int('must be a whole number').min(1).optional(),
      after: duration.optional(),
      /** The winner is shown by the stats API; with `auto: true` it is recorded once significant and later entrants follow it. */
      auto: z.boolean().default(false),
    })
    .strict()
    .optional(),
  /** How this campaign's messages meet the delivery policy: its own daily cap, and what quiet hours do to them. */
  delivery: z
    .object({
      /** At most this many of this campaign's messages per user per local day, whatever the category. */
      perDay: z.number({ error: 'must be a whole number of messages' }).int('must be a whole number of messages').min(1, 'must be at least 1').optional(),
      /** Overrides the policy's `duringQuietHours` for this campaign. */
      duringQuietHours: z.enum(['defer', 'skip'], { error: 'must be defer or skip' }).optional(),
    })
    .strict()
    .optional(),
  templates: z.record(identifier, templateSchema),
  steps: z.array(stepSchema).min(1, 'must have at least one step'),
}).strict();

export type CampaignDefinition = z.infer<typeof campaignDefinitionSchema>;
export type CampaignStepDefinition = z.infer<typeof stepSchema>;
export type TemplateDefinition = z.infer<typeof templateSchema>;

/** Delivery rules across every campaign (seed scenario 3): caps and quiet hours in the user's local time. */
export const deliveryPolicySchema = z.object({
  frequencyCap: z
    .object({
      /** Triggered messages per user per local calendar day, across all campaigns. */
      perDay: z.number().int().min(1),
      /** Campaigns of these categories are not counted nor capped. */
      exemptCategories: z.array(z.string().min(1)).default(['transactional']),
    })
    .strict(),
  quietHours: z
    .object({
      start: clockTime,
      end: clockTime,
      fallbackTimezone: timeZone.default('UTC'),
      /** Channels that would reach the user at once; an in-app message waits in the inbox anyway. */
      channels: z.array(z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` })).default(['push', 'email', 'webhook']),
    })
    .strict()
    .optional(),
  /** A message due inside quiet hours waits for their end, or is skipped. */
  duringQuietHours: z.enum(['defer', 'skip']).default('defer'),
  /** Channels that need the user's recorded yes before anything is sent; every other channel is opt-out. */
  consent: z.object({ optIn: z.array(z.enum(CHANNELS)).default([]) }).strict().default({ optIn: [] }),
  /** With requireConsent, events of a user who has not granted the `tracking` purpose are dropped after the duplicate check. */
  tracking: z.object({ requireConsent: z.boolean().default(false) }).strict().default({ requireConsent: false }),
  /**
   * A share of all users who get no campaign of the covered categories (entered and measured, sent nothing),
   * for the uplift of the whole programme. Stable per user and salt; transactional campaigns are never covered.
   */
  globalControl: z
    .object({
      percent: z
        .number({ error: 'must be a percentage from 0 to 100' })
        .min(0, 'must be a percentage from 0 to 100')
        .max(100, 'must be a percentage from 0 to 100'),
      /** The categories it covers; absent: every category but transactional. */
      categories: z
        .array(z.string().min(1).refine((c) => c !== 'transactional', 'transactional messages are never held back: remove it'))
        .min(1, 'must list at least one category (or leave categories out for all of them)')
        .optional(),
      /** A new salt reshuffles who is in the group. */
      salt: z.string().min(1).max(100).default('global-control'),
    })
    .strict()
    .optional(),
}).strict();

export type DeliveryPolicy = z.infer<typeof deliveryPolicySchema>;
