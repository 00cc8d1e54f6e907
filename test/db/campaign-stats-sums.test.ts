import type { Pool } from 'pg';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import { createCampaignStatsRepository, wholeMonths } from '../../src/db/campaign-stats-repository';
import { experimentReport, funnelOf, groupedFunnels, type GroupBy, type StatsRow } from '../../src/domain/experiments/campaign-metrics';
import { controlArm, experimentArms } from '../../src/domain/experiments/experiment-assignment';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { createCampaignStatsOps, type CampaignStats, type StatsQuery } from '../../src/ops/campaign-stats-ops';
import { testPool } from '../support/env';

/**
 * The stats API sums the roll-up in SQL (GROUP BY the asked dimensions and the metric). This compares its
 * answer with the former aggregation, every daily row sent to Node and summed there by the same domain
 * functions, on generated roll-up rows: every grouping, ranges, a version, zero and negative counts, days
 * with message rows but no journey rows (whose "converted" is the credited one).
 */
const suffix = Date.now().toString(36);
const campaignId = `sums-${suffix}`;
const definition = `
id: ${campaignId}
name: Sums test
entry: { event: Sums Viewed ${suffix} }
holdout: 10
goal: { event: Sums Bought ${suffix}, within: 7 days }
templates:
  a: { channel: email, subject: A, text: a }
  b: { channel: email, subject: B, text: b }
  r: { channel: in_app, title: R, body: r }
steps:
  - id: offer
    type: message
    variants:
      - { name: a, percent: 50, template: a }
      - { name: b, percent: 50, template: b }
  - { id: reminder, type: message, template: r }
`;

const DAYS = 75;
const firstDay = Date.parse('2026-03-01T00:00:00Z');
const dayOf = (i: number) => new Date(firstDay + i * 86_400_000).toISOString().slice(0, 10);
const JOURNEY_METRICS = ['entered', 'completed', 'exited:goal', 'exited:exit_event', 'converted'];
const STEP_METRICS = [
  'sent', 'skipped:capped', 'skipped:no_consent', 'skipped:quiet_hours', 'failed', 'unknown', 'opened', 'clicked', 'unsubscribed', 'converted',
  'engaged:Message Dismissed', 'time_to_engage:3', 'time_to_engage:17', 'time_to_engage:30', 'time_to_engage:41',
];
const STEPS: [string, string][] = [['offer', 'email'], ['reminder', 'in_app']];
const ARMS = ['holdout', 'a', 'b', 'unassigned'];

/** A small deterministic generator (mulberry32), so a failure reruns on the same rows. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatedRows(days = DAYS, startDay = dayOf, seed = 15): StatsRow[] {
  const next = random(seed);
  const rows: StatsRow[] = [];
  const add = (row: Omit<StatsRow, 'count'>) => {
    if (next() < 0.25) return;
    // Zero (an 'unknown' that became 'sent') and a few negative counts, as the triggers can leave them.
    const roll = next();
    const count = roll < 0.05 ? 0 : roll < 0.07 ? -1 : Math.floor(next() * 500);
    rows.push({ ...row, count });
  };
  for (let d = 0; d < days; d++) {
    // Every fifth day has message rows only: its funnel's "converted" is the one credited to steps.
    const journeyDay = d % 5 !== 3;
    for (const version of [1, 2]) {
      for (const variant of ARMS) {
        if (journeyDay) for (const metric of JOURNEY_METRICS) add({ version, day: startDay(d), step: '', variant, channel: '', metric });
        if (variant === 'holdout') continue;
        for (const [step, channel] of STEPS) for (const metric of STEP_METRICS) add({ version, day: startDay(d), step, variant, channel, metric });
      }
    }
  }
  return rows;
}

const GROUPINGS: GroupBy[] = ['day', 'step', 'variant', 'channel', 'step,variant', 'variant,step', 'day,variant', 'channel,day'];

describe('stats summed in SQL', () => {
  let pool: Pool;

  beforeAll(async () => {
    pool = testPool();
    // Two versions: the rows are spread over both, and one request asks for version 2 alone.
    await createCampaignRepository(pool).publish(parseCampaignText(definition, 'test'), 'test');
    await createCampaignRepository(pool).publish(parseCampaignText(definition.replace('text: a', 'text: a2'), 'test'), 'test');
    await addThroughTriggers(campaignId, generatedRows());
  });

  /** Adds the rows through the triggers' own function, which keeps the daily and monthly roll-ups and the per-day totals. */
  async function addThroughTriggers(campaign: string, rows: StatsRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      await pool.query(
        `SELECT beckon_stats_add($1, v, d, s, var, ch, m, n)
         FROM unnest($2::int[], $3::date[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS u (v, d, s, var, ch, m, n)`,
        [campaign, ...(['version', 'day', 'step', 'variant', 'channel', 'metric', 'count'] as const).map((field) => chunk.map((row) => row[field]))],
      );
    }
  }

  afterAll(async () => {
    for (const table of ['campaign_daily_stats', 'campaign_monthly_stats', 'campaign_daily_totals']) {
      await pool.query(`DELETE FROM ${table} WHERE campaign_id = ANY($1)`, [[campaignId, `${campaignId}-long`]]);
    }
    await pool.end();
  });

  /** The former aggregation: every daily row of the range in Node, summed by the domain functions. */
  async function summedInNode(query: StatsQuery, now: number): Promise<Pick<CampaignStats, 'funnel' | 'groups' | 'experiment'>> {
    const repository = createCampaignStatsRepository(pool);
    const rows = await repository.rows(campaignId, query.from, query.to, query.version);
    const compiled = (await repository.campaign(campaignId))!.compiled!;
    return {
      funnel: funnelOf(rows),
      groups: groupedFunnels(rows, query.groupBy),
      experiment: experimentReport(rows, experimentArms(compiled), controlArm(compiled)!, { now }),
    };
  }

  it('gives the same figures as summing every daily row in Node, for every grouping, range and version', async () => {
    const now = Date.parse('2026-04-15T00:00:00Z');
    const ops = createCampaignStatsOps({ pool, now: () => now });
    // Whole months (read from the monthly roll-up) with edge days, exact months, days inside one month, none.
    const ranges: [string, string][] = [
      [dayOf(0), dayOf(DAYS - 1)], ['2026-02-20', '2026-04-05'], ['2026-03-01', '2026-03-31'], ['2026-03-02', '2026-04-30'],
      [dayOf(3), dayOf(3)], [dayOf(7), dayOf(20)], ['2025-01-01', '2025-01-31'],
    ];
    let compared = 0;
    for (const groupBy of GROUPINGS) {
      for (const [from, to] of ranges) {
        for (const version of [undefined, 2]) {
          const query: StatsQuery = { from, to, groupBy, ...(version && { version }) };
          const expected = await summedInNode(query, now);
          const answer = await ops.stats(campaignId, query);
          expect({ query, funnel: answer.funnel, groups: answer.groups, experiment: answer.experiment }).toEqual({ query, ...expected });
          compared += answer.groups.length;
        }
      }
    }
    // Not a vacuous comparison: hundreds of groups with figures, a day without journey rows among them.
    expect(compared).toBeGreaterThan(500);
    const whole = await ops.stats(campaignId, { from: dayOf(0), to: dayOf(DAYS - 1), groupBy: 'day' });
    expect(whole.funnel.entered).toBeGreaterThan(0);
    expect(whole.funnel.timeToEngage.count).toBeGreaterThan(0);
    expect(whole.groups.find((g) => g.key === dayOf(3))!.funnel.converted).toBeGreaterThan(0);
  });

  it("answers a long range per day, from the days' totals, as the sum of every detailed row of each day", async () => {
    // 430 days over two versions from 2025-02-10: a year and a day asked, with edge months, across a new year.
    const long = `${campaignId}-long`;
    await createCampaignRepository(pool).publish(parseCampaignText(definition.replace(`id: ${campaignId}`, `id: ${long}`), 'test'), 'test');
    const start = Date.parse('2025-02-10T00:00:00Z');
    const longDay = (i: number) => new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    await addThroughTriggers(long, generatedRows(430, longDay, 99));
    const repository = createCampaignStatsRepository(pool);
    const ops = createCampaignStatsOps({ pool, now: () => Date.parse('2026-05-01T00:00:00Z') });
    let days = 0;
    for (const version of [undefined, 1]) {
      const query: StatsQuery = { from: longDay(20), to: longDay(20 + 365), groupBy: 'day', ...(version && { version }) };
      const answer = await ops.stats(long, query);
      const detailed = await repository.rows(long, query.from, query.to, query.version);
      const byDay = new Map<string, StatsRow[]>();
      for (const row of detailed) byDay.set(row.day, [...(byDay.get(row.day) ?? []), row]);
      expect(answer.groups.map((group) => group.key)).toEqual([...byDay.keys()].sort());
      for (const group of answer.groups) expect({ day: group.key, funnel: group.funnel }).toEqual({ day: group.key, funnel: funnelOf(byDay.get(group.key)!) });
      expect(answer.funnel).toEqual(funnelOf(detailed));
      const compiled = (await repository.campaign(long))!.compiled!;
      expect(answer.experiment).toEqual(experimentReport(detailed, experimentArms(compiled), controlArm(compiled)!, { now: Date.parse('2026-05-01T00:00:00Z') }));
      days += answer.groups.length;
    }
    expect(days).toBeGreaterThan(700);
    // The totals the trigger function keeps are the detailed rows summed without step, arm and channel.
    const differing = await pool.query(
      `SELECT * FROM (SELECT campaign_version, day, step_id = '' AS journey, metric, sum(count) AS count FROM campaign_daily_stats
                      WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4) AS detailed
       FULL JOIN (SELECT campaign_version, day, journey, metric, count FROM campaign_daily_totals WHERE campaign_id = $1) AS totals
         USING (campaign_version, day, journey, metric)
       WHERE detailed.count IS DISTINCT FROM totals.count`,
      [long],
    );
    expect(differing.rows).toEqual([]);
  });

  it('finds the whole months of a range', () => {
    expect(wholeMonths('2026-03-01', '2026-03-31')).toEqual({ from: '2026-03-01', until: '2026-04-01' });
    expect(wholeMonths('2026-02-20', '2026-04-05')).toEqual({ from: '2026-03-01', until: '2026-04-01' });
    expect(wholeMonths('2025-12-02', '2026-12-01')).toEqual({ from: '2026-01-01', until: '2026-12-01' });
    expect(wholeMonths('2024-02-01', '2024-02-29')).toEqual({ from: '2024-02-01', until: '2024-03-01' });
    expect(wholeMonths('2026-03-02', '2026-03-31')).toBeUndefined();
    expect(wholeMonths('2026-03-01', '2026-03-30')).toBeUndefined();
  });

  it('keys each group of two dimensions by both values, and by each apart', async () => {
    const answer = await createCampaignStatsOps({ pool }).stats(campaignId, { from: dayOf(0), to: dayOf(DAYS - 1), groupBy: 'step,variant' });
    const keys = answer.groups.map((group) => group.key);
    expect(keys).toEqual(expect.arrayContaining([',holdout', ',a', 'offer,a', 'offer,b', 'reminder,unassigned']));
    expect(keys).not.toContain('offer,holdout');
    for (const group of answer.groups) expect(group.keys).toEqual({ step: group.key.split(',')[0], variant: group.key.split(',')[1] });
  });
});
