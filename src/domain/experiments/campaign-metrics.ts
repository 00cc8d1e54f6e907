import { CONTROL_ARM, GLOBAL_CONTROL_ARM } from './experiment-assignment';
import { experimentResults, DEFAULT_MIN_SAMPLES, type VariantResult } from './experiment-stats';

/**
 * A campaign's figures from its daily roll-up rows: the funnel, its rates, and the experiment.
 * Every definition here is in the README's "Campaign metrics" table. Journey-level counts
 * (entered, completed, exited, converted) sit on step "" and channel ""; message counts on their
 * step and channel; a conversion is also counted on the step of the entry's last message (last-touch).
 */

export interface StatsRow {
  version: number;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  step: string;
  variant: string;
  channel: string;
  metric: string;
  count: number;
}

export const GROUP_BY = ['day', 'step', 'variant', 'channel'] as const;
export type Dimension = (typeof GROUP_BY)[number];
/** One dimension, or two joined by a comma (`step,variant`: the funnel of each step in each arm). */
export type GroupBy = Dimension | `${Dimension},${Dimension}`;

/** The dimensions of a grouping, in its order. */
export function dimensionsOf(groupBy: GroupBy): Dimension[] {
  return groupBy.split(',') as Dimension[];
}

/** A valid grouping: one of GROUP_BY, or two different ones joined by a comma; undefined otherwise. */
export function parseGroupBy(text: string): GroupBy | undefined {
  const parts = text.split(',');
  if (parts.length > 2 || new Set(parts).size !== parts.length) return undefined;
  return parts.every((part) => (GROUP_BY as readonly string[]).includes(part)) ? (text as GroupBy) : undefined;
}

export interface Funnel {
  entered: number;
  completed: number;
  exited: number;
  /** Per reason: exit_event, goal, exit_step, cancelled. */
  exitedBy: Record<string, number>;
  sent: number;
  skipped: number;
  /** Per reason: no_consent, capped, quiet_hours, no_address, no_profile, ... */
  skippedBy: Record<string, number>;
  failed: number;
  /** Interrupted while sending; not resent (see README, "Delivery guarantees"). */
  unknown: number;
  /** Accepted by the channel: the inbox write, the webhook's 2xx, the SMTP relay, FCM (no bounce or receipt feed yet). */
  delivered: number;
  /** Messages opened at least once. */
  opened: number;
  /** Messages clicked at least once. */
  clicked: number;
  unsubscribed: number;
  /** Entries that reached the goal within its window (journey level); on a step: conversions credited to it. */
  converted: number;
  rates: {
    /** opened / delivered */
    open: number | null;
    /** clicked / delivered */
    clickThrough: number | null;
    /** converted / entered (journey level) */
    conversion: number | null;
    /** unsubscribed / delivered */
    unsubscribe: number | null;
  };
  /** From a message's send to its first open or click. */
  timeToEngage: { count: number; medianSeconds: number | null; p90Seconds: number | null };
  /** Per session after a message: from the user's first event after it to the session's last (events at most 30 minutes apart). */
  engagedTime: { count: number; medianSeconds: number | null; p90Seconds: number | null };
}

const TIME_TO_ENGAGE = 'time_to_engage:';
const ENGAGED_TIME = 'engaged_time:';

/** Bucket k of the time-to-engage histogram holds [2^(k/4) - 1, 2^((k+1)/4) - 1) seconds (see migration 8). */
function bucketBounds(k: number): [number, number] {
  return [2 ** (k / 4) - 1, 2 ** ((k + 1) / 4) - 1];
}

/** The q-quantile of a bucketed histogram, interpolated linearly inside its bucket (within ~19% of the exact value). */
export function histogramQuantile(buckets: ReadonlyMap<number, number>, q: number): number | null {
  if (buckets.size === 0) return null;
  let total = 0;
  for (const n of buckets.values()) total += n;
  if (total <= 0) return null;
  const target = q * total;
  let seen = 0;
  for (const k of [...buckets.keys()].sort((a, b) => a - b)) {
    const n = buckets.get(k)!;
    if (n <= 0) continue;
    if (seen + n >= target) {
      const [low, high] = bucketBounds(k);
      return low + ((target - seen) / n) * (high - low);
    }
    seen += n;
  }
  const last = Math.max(...buckets.keys());
  return bucketBounds(last)[1];
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Sums rows into one funnel. */
export function funnelOf(rows: readonly StatsRow[]): Funnel {
  const funnel: Funnel = {
    entered: 0, completed: 0, exited: 0, exitedBy: {}, sent: 0, skipped: 0, skippedBy: {}, failed: 0, unknown: 0,
    delivered: 0, opened: 0, clicked: 0, unsubscribed: 0, converted: 0,
    rates: { open: null, clickThrough: null, conversion: null, unsubscribe: null },
    timeToEngage: { count: 0, medianSeconds: null, p90Seconds: null },
    engagedTime: { count: 0, medianSeconds: null, p90Seconds: null },
  };
  const buckets = new Map<number, number>();
  const engagedBuckets = new Map<number, number>();
  let journeyConverted = 0;
  let stepConverted = 0;
  for (const row of rows) {
    const [metric, detail] = splitMetric(row.metric);
    switch (metric) {
      case 'entered':
      case 'completed':
      case 'sent':
      case 'failed':
      case 'unknown':
      case 'opened':
      case 'clicked':
      case 'unsubscribed':
        funnel[metric] += row.count;
        break;
      case 'converted':
        if (row.step === '') journeyConverted += row.count;
        else stepConverted += row.count;
        break;
      case 'exited':
        funnel.exited += row.count;
        funnel.exitedBy[detail] = (funnel.exitedBy[detail] ?? 0) + row.count;
        break;
      case 'skipped':
        funnel.skipped += row.count;
        funnel.skippedBy[detail] = (funnel.skippedBy[detail] ?? 0) + row.count;
        break;
      case 'time_to_engage': {
        const k = Number(detail);
        buckets.set(k, (buckets.get(k) ?? 0) + row.count);
        funnel.timeToEngage.count += row.count;
        break;
      }
      case 'engaged_time': {
        const k = Number(detail);
        engagedBuckets.set(k, (engagedBuckets.get(k) ?? 0) + row.count);
        funnel.engagedTime.count += row.count;
        break;
      }
      default:
        break;
    }
  }
  // A group with journey rows counts entries that converted; a group of steps only, the conversions credited to them.
  funnel.converted = rows.some((row) => row.step === '') ? journeyConverted : stepConverted;
  funnel.delivered = funnel.sent;
  funnel.rates = {
    open: ratio(funnel.opened, funnel.delivered),
    clickThrough: ratio(funnel.clicked, funnel.delivered),
    conversion: ratio(funnel.converted, funnel.entered),
    unsubscribe: ratio(funnel.unsubscribed, funnel.delivered),
  };
  funnel.timeToEngage.medianSeconds = histogramQuantile(buckets, 0.5);
  funnel.timeToEngage.p90Seconds = histogramQuantile(buckets, 0.9);
  funnel.engagedTime.medianSeconds = histogramQuantile(engagedBuckets, 0.5);
  funnel.engagedTime.p90Seconds = histogramQuantile(engagedBuckets, 0.9);
  return funnel;
}

/** Metric names repeat across days and groups (a few dozen in all): each is split once. */
const splitMetrics = new Map<string, [string, string]>();

function splitMetric(metric: string): [string, string] {
  let split = splitMetrics.get(metric);
  if (!split) {
    split = splitMetricText(metric);
    if (splitMetrics.size < 10_000) splitMetrics.set(metric, split);
  }
  return split;
}

function splitMetricText(metric: string): [string, string] {
  if (metric.startsWith(TIME_TO_ENGAGE)) return ['time_to_engage', metric.slice(TIME_TO_ENGAGE.length)];
  if (metric.startsWith(ENGAGED_TIME)) return ['engaged_time', metric.slice(ENGAGED_TIME.length)];
  const colon = metric.indexOf(':');
  return colon < 0 ? [metric, ''] : [metric.slice(0, colon), metric.slice(colon + 1)];
}

export interface FunnelGroup {
  /** The group's value of the dimension; for two dimensions, both values joined by a comma (`offer,ten`). */
  key: string;
  /** For two dimensions only: each one's value (`{ step: 'offer', variant: 'ten' }`). */
  keys?: Partial<Record<Dimension, string>>;
  funnel: Funnel;
}

/** One funnel per value of the dimension(s), sorted by key; step and channel "" are the journey's own counts. */
export function groupedFunnels(rows: readonly StatsRow[], groupBy: GroupBy): FunnelGroup[] {
  const dimensions = dimensionsOf(groupBy);
  const groups = new Map<string, StatsRow[]>();
  for (const row of rows) {
    const key = dimensions.length === 1 ? row[dimensions[0]!] : dimensions.map((dimension) => row[dimension]).join(',');
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.keys()].sort().map((key) => {
    const members = groups.get(key)!;
    if (dimensions.length === 1) return { key, funnel: funnelOf(members) };
    const keys = Object.fromEntries(dimensions.map((dimension) => [dimension, members[0]![dimension]]));
    return { key, keys, funnel: funnelOf(members) };
  });
}

export interface WinnerRule {
  metric: 'conversion_rate';
  minSamples?: number;
  afterMs?: number;
  after?: string;
  auto: boolean;
}

/** What the auto rule recorded when it decided (experiment_decisions). */
export interface WinnerDecision {
  variant: string;
  decidedAt: string;
  reason: string;
  /** The experiment table when it was decided. */
  figures: { control: string; arms: { variant: string; entered: number; converted: number; rate: number; sequentialPValue: number | null; verdict: string | null }[] };
}

export interface WinnerStatus {
  rule: WinnerRule;
  /** The recorded decision of an auto rule (later entrants get `decision.variant`); null before it, and always for a rule that is not auto. */
  decision?: WinnerDecision | null;
  /** The rule's sample size or time has been reached. */
  ready: boolean;
  /** The best variant that beats the control significantly, once ready; null otherwise. */
  winner: string | null;
  reason: string;
}

export interface ExperimentReport {
  control: string;
  /** How `significant` is decided: an anytime-valid confidence sequence. */
  method: 'sequential';
  minSamples: number;
  arms: VariantResult[];
  winner: WinnerStatus | null;
}

/**
 * The experiment table: each arm's entrants and conversions (journey level) compared to the
 * control arm. `arms` lists the campaign's arms in order; rows of journeys without an arm
 * (`unassigned`, started before assignments existed) are left out.
 */
export function experimentReport(
  rows: readonly StatsRow[],
  arms: readonly string[],
  control: string,
  options: { winner?: WinnerRule; firstEntryAt?: number; now: number },
): ExperimentReport {
  const minSamples = options.winner?.minSamples ?? DEFAULT_MIN_SAMPLES;
  const journey = rows.filter((row) => row.step === '');
  const counts = arms.map((variant) => {
    const mine = journey.filter((row) => row.variant === variant);
    const sum = (metric: string) => mine.filter((row) => row.metric === metric).reduce((total, row) => total + row.count, 0);
    return { variant, entered: sum('entered'), converted: sum('converted') };
  });
  const results = experimentResults(counts, control, { minSamples });
  return { control, method: 'sequential', minSamples, arms: results, winner: options.winner ? winnerStatus(options.winner, results, options) : null };
}

function winnerStatus(rule: WinnerRule, results: VariantResult[], options: { firstEntryAt?: number; now: number }): WinnerStatus {
  const compared = results.filter((arm) => arm.vsControl);
  const ready = rule.minSamples !== undefined
    ? results.every((arm) => arm.entered >= rule.minSamples!)
    : options.firstEntryAt !== undefined && options.now - options.firstEntryAt >= (rule.afterMs ?? 0);
  if (!ready) {
    const why = rule.minSamples !== undefined ? `waiting for ${rule.minSamples} entrants in every arm` : `waiting until ${rule.after} after the first entry`;
    return { rule, ready, winner: null, reason: why };
  }
  const better = compared.filter((arm) => arm.vsControl!.verdict === 'better').sort((a, b) => b.rate - a.rate);
  const best = better[0];
  if (!best) return { rule, ready, winner: null, reason: 'no variant beats the control significantly (anytime-valid test at 5%)' };
  const p = best.vsControl!.sequential.pValue;
  return { rule, ready, winner: best.variant, reason: `${best.variant} converts at ${(best.rate * 100).toFixed(2)}%, better than the control (sequential p = ${p.toPrecision(3)})` };
}

/** The programme's uplift in one campaign: entrants in the global control group against those the campaign treated. */
export interface ProgrammeUplift {
  control: typeof GLOBAL_CONTROL_ARM;
  /** The global control group first, then `treated` (every arm but the control groups) compared to it. */
  arms: VariantResult[];
}

/**
 * The global control group against the treated entrants (neither held out by the campaign nor in the group),
 * at journey level; null when no entrant of the range is in the group.
 */
export function programmeUplift(rows: readonly StatsRow[], minSamples = DEFAULT_MIN_SAMPLES): ProgrammeUplift | null {
  const journey = rows.filter((row) => row.step === '');
  const controlRows = journey.filter((row) => row.variant === GLOBAL_CONTROL_ARM);
  if (!controlRows.some((row) => row.metric === 'entered' && row.count > 0)) return null;
  const treatedRows = journey.filter((row) => ![GLOBAL_CONTROL_ARM, CONTROL_ARM, 'unassigned'].includes(row.variant));
  const sum = (list: StatsRow[], metric: string) => list.filter((row) => row.metric === metric).reduce((total, row) => total + row.count, 0);
  const arms = [
    { variant: GLOBAL_CONTROL_ARM, entered: sum(controlRows, 'entered'), converted: sum(controlRows, 'converted') },
    { variant: 'treated', entered: sum(treatedRows, 'entered'), converted: sum(treatedRows, 'converted') },
  ];
  return { control: GLOBAL_CONTROL_ARM, arms: experimentResults(arms, GLOBAL_CONTROL_ARM, { minSamples }) };
}

/**
 * The whole programme's uplift: the global control group's entries and conversions against the treated ones,
 * each summed over the covered campaigns. Counted per entry: a user in three campaigns counts three times.
 * Null when no campaign has an entrant of the range in the group.
 */
export function pooledProgrammeUplift(campaigns: readonly (ProgrammeUplift | null)[], minSamples = DEFAULT_MIN_SAMPLES): ProgrammeUplift | null {
  const present = campaigns.filter((campaign): campaign is ProgrammeUplift => campaign !== null);
  if (present.length === 0) return null;
  const total = (variant: string, field: 'entered' | 'converted') =>
    present.reduce((sum, campaign) => sum + (campaign.arms.find((arm) => arm.variant === variant)?.[field] ?? 0), 0);
  const arms = [GLOBAL_CONTROL_ARM, 'treated'].map((variant) => ({ variant, entered: total(variant, 'entered'), converted: total(variant, 'converted') }));
  return { control: GLOBAL_CONTROL_ARM, arms: experimentResults(arms, GLOBAL_CONTROL_ARM, { minSamples }) };
}
