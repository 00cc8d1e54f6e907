import type { Pool, PoolClient } from 'pg';
import type { Campaign } from '../domain/campaign/campaign-model';
import type { DeliveryRef } from '../domain/engagement';
import type { Dimension, StatsRow } from '../domain/experiments/campaign-metrics';

type Queryable = Pool | PoolClient;

/** The roll-up's column for each dimension a request may group by, and how a group's value reads as text. */
const DIMENSION_COLUMNS: Record<Dimension, { column: string; text: string }> = {
  // Grouped by the date and formatted once per group (GROUP BY to_char would format every row).
  day: { column: 'day', text: "to_char(day, 'YYYY-MM-DD')" },
  step: { column: 'step_id', text: 'step_id' },
  variant: { column: 'variant', text: 'variant' },
  channel: { column: 'channel', text: 'channel' },
};

/** The whole UTC months inside [fromDay, toDay] (YYYY-MM-DD, both included), from the first until the first day after the last; undefined for none. */
export function wholeMonths(fromDay: string, toDay: string): { from: string; until: string } | undefined {
  const [fy, fm, fd] = fromDay.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(fy, fm - 1 + (fd === 1 ? 0 : 1), 1));
  const after = new Date(Date.parse(`${toDay}T00:00:00Z`) + 86_400_000);
  const until = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), 1));
  if (until <= first) return undefined;
  const text = (date: Date) => date.toISOString().slice(0, 10);
  return { from: text(first), until: text(until) };
}

/** The parameters ($n) a range's source reads: its first and last day, and with whole months the first month and the first day after the last one. */
interface RangeParams {
  from: string;
  to: string;
  months?: { from: string; until: string };
}

/**
 * A range's roll-up rows matching `filter` as one source: the whole months from the monthly roll-up and the edge days from the
 * daily one, or without months every day from the daily one (with `day` among the columns, for grouping by it).
 */
function rangeSource(columns: string, filter: string, p: RangeParams): string {
  if (!p.months) return `SELECT day, ${columns} FROM campaign_daily_stats WHERE day BETWEEN ${p.from}::date AND ${p.to}::date AND ${filter}`;
  const { from, until } = p.months;
  return `SELECT ${columns} FROM campaign_monthly_stats WHERE month >= ${from}::date AND month < ${until}::date AND ${filter}
     UNION ALL SELECT ${columns} FROM campaign_daily_stats WHERE day >= ${p.from}::date AND day < ${from}::date AND ${filter}
     UNION ALL SELECT ${columns} FROM campaign_daily_stats WHERE day >= ${until}::date AND day <= ${p.to}::date AND ${filter}`;
}

/** A step that stands for any step when steps are summed together; only whether a row is the journey's ("") counts then. */
export const ANY_STEP = '*';

/** The range's roll-up summed in SQL: per group of the asked dimensions, and per arm for the experiment. */
export interface SummedStats {
  /** One row per (value of the dimensions, journey-level or not, metric). */
  groups: StatsRow[];
  /** One row per (variant, journey-level or not, metric). */
  arms: StatsRow[];
}

/** One campaign's journey-level rows per arm (entered, converted) over a range, with its current name and category. */
export interface ProgrammeCampaignArms {
  id: string;
  name: string;
  category: string;
  rows: StatsRow[];
}

/**
 * The roll-ups the triggers keep (campaign_daily_stats, campaign_monthly_stats, campaign_daily_totals): reading a campaign's
 * figures sums at most (days x steps x variants x channels x metrics) rows, whatever the raw tables hold.
 */
export function createCampaignStatsRepository(db: Queryable) {
  /** The per-day series from the day's totals (migration 14): one row per day, version, journey-level or not and metric. */
  async function perDay(campaignId: string, fromDay: string, toDay: string, version?: number): Promise<StatsRow[]> {
    const result = await db.query<{ offset: number; journey: boolean; metric: string; count: string }>(
      `SELECT day - $2::date AS offset, journey, metric, count FROM campaign_daily_totals
       WHERE campaign_id = $1 AND day BETWEEN $2::date AND $3::date AND ($4::integer IS NULL OR campaign_version = $4)`,
      [campaignId, fromDay, toDay, version ?? null],
    );
    // Rows of several versions stay apart: the domain sums every row of a day, as it would their sum.
    const first = Date.parse(`${fromDay}T00:00:00Z`);
    const days: string[] = [];
    const dayAt = (offset: number) => (days[offset] ??= new Date(first + offset * 86_400_000).toISOString().slice(0, 10));
    return result.rows.map((row) => ({
      version: version ?? 0,
      day: dayAt(row.offset),
      step: row.journey ? '' : ANY_STEP,
      variant: '',
      channel: '',
      metric: row.metric,
      count: Number(row.count),
    }));
  }

  const repository = {
    /** Summed per version, day, step, variant, channel and metric, for UTC days from `fromDay` to `toDay` inclusive. */
    async rows(campaignId: string, fromDay: string, toDay: string, version?: number): Promise<StatsRow[]> {
      const result = await db.query<{ campaign_version: number; day: string; step_id: string; variant: string; channel: string; metric: string; count: string }>(
        `SELECT campaign_version, to_char(day, 'YYYY-MM-DD') AS day, step_id, variant, channel, metric, count
         FROM campaign_daily_stats
         WHERE campaign_id = $1 AND day BETWEEN $2::date AND $3::date AND ($4::integer IS NULL OR campaign_version = $4)`,
        [campaignId, fromDay, toDay, version ?? null],
      );
      return result.rows.map((row) => ({
        version: row.campaign_version,
        day: row.day,
        step: row.step_id,
        variant: row.variant,
        channel: row.channel,
        metric: row.metric,
        count: Number(row.count),
      }));
    },

    /**
     * The same figures as summing `rows()`, summed by Postgres: a few hundred rows back instead of one per
     * day, step, variant, channel and metric. Each row stands for the rows of its group; a dimension it is
     * not grouped by reads "" (day, variant, channel) or, for steps, "" for journey-level rows and ANY_STEP for the others.
     */
    async sums(campaignId: string, fromDay: string, toDay: string, dimensions: readonly Dimension[], version?: number): Promise<SummedStats> {
      if (dimensions.length === 1 && dimensions[0] === 'day') {
        // Per day alone: the days from their totals, the arms as grouping by variant reads them (whole months from the monthly roll-up).
        const [groups, byVariant] = await Promise.all([
          perDay(campaignId, fromDay, toDay, version),
          repository.sums(campaignId, fromDay, toDay, ['variant'], version),
        ]);
        return { groups, arms: byVariant.arms };
      }
      const grouped = dimensions.map((dimension) => DIMENSION_COLUMNS[dimension].column);
      const texts = dimensions.map((dimension) => DIMENSION_COLUMNS[dimension].text);
      const armsApart = !(dimensions.length === 1 && dimensions[0] === 'variant');
      const sets = [`(${[...grouped, "step_id = ''", 'metric'].join(', ')})`, ...(armsApart ? ["(variant, step_id = '', metric)"] : [])];
      // Without days in the answer, the range's whole months come from the monthly roll-up and only its edge days from the daily one.
      const months = dimensions.includes('day') ? undefined : wholeMonths(fromDay, toDay);
      const source = rangeSource('step_id, variant, channel, metric, count', 'campaign_id = $1 AND ($4::integer IS NULL OR campaign_version = $4)',
        { from: '$2', to: '$3', ...(months && { months: { from: '$5', until: '$6' } }) });
      const result = await db.query<{ of_dimensions: boolean; values: (string | null)[]; journey: boolean; metric: string; count: string }>(
        `SELECT GROUPING(${grouped.join(', ')}) = 0 AS of_dimensions, ARRAY[${texts.join(', ')}, variant] AS values,
                step_id = '' AS journey, metric, sum(count) AS count
         FROM (${source}) AS facts
         GROUP BY GROUPING SETS (${sets.join(', ')})`,
        [campaignId, fromDay, toDay, version ?? null, ...(months ? [months.from, months.until] : [])],
      );
      const summed: SummedStats = { groups: [], arms: [] };
      for (const row of result.rows) {
        const ofDimensions = row.of_dimensions;
        const value = (dimension: Dimension) => (ofDimensions ? row.values[dimensions.indexOf(dimension)] : undefined);
        const byStep = ofDimensions && dimensions.includes('step');
        const stats: StatsRow = {
          version: version ?? 0,
          day: value('day') ?? '',
          step: byStep ? value('step')! : row.journey ? '' : ANY_STEP,
          variant: (ofDimensions ? value('variant') : row.values[dimensions.length]) ?? '',
          channel: value('channel') ?? '',
          metric: row.metric,
          count: Number(row.count),
        };
        if (ofDimensions) summed.groups.push(stats);
        if (!ofDimensions || !armsApart) summed.arms.push(stats);
      }
      return summed;
    },

    /**
     * Every campaign's journey-level entries and conversions per arm over the range, for the whole programme's uplift:
     * whole months from the monthly roll-up, the edge days from the daily one, as `sums` reads them.
     */
    async programmeArms(fromDay: string, toDay: string): Promise<ProgrammeCampaignArms[]> {
      const months = wholeMonths(fromDay, toDay);
      const source = rangeSource('campaign_id, variant, metric, count', "step_id = '' AND metric IN ('entered', 'converted')",
        { from: '$1', to: '$2', ...(months && { months: { from: '$3', until: '$4' } }) });
      const result = await db.query<{ campaign_id: string; name: string; category: string | null; variant: string; metric: string; count: string }>(
        `SELECT facts.campaign_id, c.name, v.compiled->>'category' AS category, facts.variant, facts.metric, sum(facts.count) AS count
         FROM (${source}) AS facts
         JOIN campaigns c ON c.id = facts.campaign_id
         LEFT JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.current_version
         GROUP BY facts.campaign_id, c.name, category, facts.variant, facts.metric
         ORDER BY facts.campaign_id`,
        [fromDay, toDay, ...(months ? [months.from, months.until] : [])],
      );
      const campaigns: ProgrammeCampaignArms[] = [];
      for (const row of result.rows) {
        let campaign = campaigns.at(-1);
        if (campaign?.id !== row.campaign_id) {
          campaign = { id: row.campaign_id, name: row.name, category: row.category ?? '', rows: [] };
          campaigns.push(campaign);
        }
        campaign.rows.push({ version: 0, day: '', step: '', variant: row.variant, channel: '', metric: row.metric, count: Number(row.count) });
      }
      return campaigns;
    },

    /** The campaign's name, current version and the compiled version asked for (the current one by default); undefined for no campaign. */
    async campaign(campaignId: string, version?: number): Promise<{ name: string; currentVersion: number; compiled: Campaign | undefined } | undefined> {
      const result = await db.query<{ name: string; current_version: number; compiled: Campaign | null }>(
        `SELECT c.name, c.current_version, v.compiled FROM campaigns c
         LEFT JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = coalesce($2::integer, c.current_version)
         WHERE c.id = $1`,
        [campaignId, version ?? null],
      );
      const row = result.rows[0];
      return row && { name: row.name, currentVersion: row.current_version, compiled: row.compiled ?? undefined };
    },

    /** When a version's first entry was recorded (a winner rule by time counts from it; rules are per version). */
    async firstEntryAt(campaignId: string, version: number): Promise<Date | undefined> {
      const result = await db.query<{ first: Date | null }>(
        'SELECT min(entered_at) AS first FROM experiment_entries WHERE campaign_id = $1 AND campaign_version = $2',
        [campaignId, version],
      );
      return result.rows[0]?.first ?? undefined;
    },

    /** A one-click unsubscribe from a message, counted once per message. */
    async recordUnsubscribe(ref: DeliveryRef, deliveryKey: string, channel: string): Promise<void> {
      await db.query(
        `INSERT INTO message_unsubscribes (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [deliveryKey, ref.pseudonym, ref.campaignId, ref.campaignVersion, ref.stepId, channel],
      );
    },
  };
  return repository;
}

export type CampaignStatsRepository = ReturnType<typeof createCampaignStatsRepository>;
