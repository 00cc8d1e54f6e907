import type { Pool } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { withTransaction } from '../../src/db/transaction';
import { createPool } from '../../src/db/pool';
import { createCampaignRepository } from '../../src/db/campaign-repository';
import { parseCampaignText } from '../../src/ops/campaign-files';
import { createCampaignStatsOps } from '../../src/ops/campaign-stats-ops';
import type { GroupBy } from '../../src/domain/experiments/campaign-metrics';
import { say } from './stack';
import { summarise, type Summary } from './stats';
import { runPageBench, type PageBenchReport } from './stats-page';
import { runWriteBench, type WriteBenchReport } from './stats-write';

/** The campaign the generated rows belong to: a holdout and two variants, as an experiment is. */
const CAMPAIGN = 'bench-stats';
const DEFINITION = `
id: ${CAMPAIGN}
name: Stats benchmark
entry: { event: Bench Viewed }
holdout: 10
goal: { event: Bench Bought, within: 7 days }
templates:
  a: { channel: email, subject: A, text: a }
  b: { channel: email, subject: B, text: b }
steps:
  - id: offer
    type: message
    variants:
      - { name: a, percent: 50, template: a }
      - { name: b, percent: 50, template: b }
`;

export interface StatsBenchOptions {
  /** Deliveries (and opens: one engagement row per delivery) generated. */
  deliveries: number;
  /** Stats queries timed. */
  queries: number;
  /** The console's page and list, timed over HTTP this many times each per range (0: not run). */
  pages: number;
  /** Deliveries and opens written per round with the triggers on and off (0: not run). */
  writes: number;
}

export interface StatsBenchReport {
  generated: Record<string, number>;
  generateSeconds: number;
  rollupRows: number;
  /** groupBy: a campaign grouping, or "(programme)" for the programme stats. */
  queries: { groupBy: string; range: string; summary: Summary }[];
  all: Summary;
  page?: PageBenchReport;
  write?: WriteBenchReport;
}

const CHUNK = 100_000;

/** The roll-up of the generated rows, by the triggers' rules (migration 8): what they would have written row by row. */
const ROLLUP = `
  WITH facts AS (
    SELECT campaign_version AS v, (entered_at AT TIME ZONE 'UTC')::date AS d, '' AS s, variant AS var, '' AS ch, 'entered' AS m
      FROM experiment_entries WHERE campaign_id = $1
    UNION ALL
    SELECT d.campaign_version, (d.updated_at AT TIME ZONE 'UTC')::date, d.step_id, e.variant, d.channel, 'sent'
      FROM deliveries d JOIN experiment_entries e ON e.campaign_id = d.campaign_id AND e.pseudonym = d.pseudonym AND e.entry = 1
      WHERE d.campaign_id = $1 AND d.status = 'sent'
    UNION ALL
    SELECT g.campaign_version, (g.occurred_at AT TIME ZONE 'UTC')::date, g.step_id, e.variant, g.channel, 'opened'
      FROM engagement_events g JOIN experiment_entries e ON e.campaign_id = g.campaign_id AND e.pseudonym = g.pseudonym AND e.entry = 1
      WHERE g.campaign_id = $1
    UNION ALL
    SELECT g.campaign_version, (g.occurred_at AT TIME ZONE 'UTC')::date, g.step_id, e.variant, g.channel,
           'time_to_engage:' || floor(4 * log(2, 1 + greatest(0, extract(epoch FROM g.occurred_at - d.updated_at))::numeric))::integer
      FROM engagement_events g JOIN deliveries d ON d.delivery_key = g.delivery_key
      JOIN experiment_entries e ON e.campaign_id = g.campaign_id AND e.pseudonym = g.pseudonym AND e.entry = 1
      WHERE g.campaign_id = $1
    UNION ALL
    SELECT campaign_version, (converted_at AT TIME ZONE 'UTC')::date, '', variant, '', 'converted' FROM conversions WHERE campaign_id = $1
    UNION ALL
    SELECT campaign_version, (converted_at AT TIME ZONE 'UTC')::date, last_step_id, variant, last_channel, 'converted'
      FROM conversions WHERE campaign_id = $1 AND last_step_id IS NOT NULL)
  , summed AS (SELECT v, d, s, var, ch, m, count(*) AS n FROM facts GROUP BY 1, 2, 3, 4, 5, 6)
  INSERT INTO campaign_daily_stats (campaign_id, campaign_version, day, step_id, variant, channel, metric, count)
  SELECT $1, v, d, s, var, ch, m, n FROM summed`;

/** The monthly roll-up as beckon_stats_add keeps it (migration 12): the daily counters summed per month. */
const MONTHLY = `
  INSERT INTO campaign_monthly_stats (campaign_id, campaign_version, month, step_id, variant, channel, metric, count)
  SELECT campaign_id, campaign_version, date_trunc('month', day::timestamp)::date, step_id, variant, channel, metric, sum(count)
  FROM campaign_daily_stats WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7`;

/** The per-day totals as beckon_stats_add keeps them (migration 14): the daily counters summed over steps, arms and channels. */
const TOTALS = `
  INSERT INTO campaign_daily_totals (campaign_id, campaign_version, day, journey, metric, count)
  SELECT campaign_id, campaign_version, day, step_id = '', metric, sum(count)
  FROM campaign_daily_stats WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4, 5`;

/**
 * Generates, with generate_series (bulk, triggers off) and a roll-up built by the triggers' rules, the
 * deliveries, opens, entries (10% more, held out) and conversions (1 in 9) of one campaign over
 * the year up to today; then times the stats API's work (`createCampaignStatsOps().stats`) for
 * that campaign over a year, a month and a week, grouped each way.
 */
async function generate(pool: Pool, deliveries: number): Promise<Record<string, number>> {
  const entries = Math.round(deliveries * 1.1);
  const have = await pool.query<{ n: string }>('SELECT count(*) AS n FROM deliveries WHERE campaign_id = $1', [CAMPAIGN]);
  if (Number(have.rows[0]!.n) >= deliveries) {
    say(`stats: ${have.rows[0]!.n} deliveries of ${CAMPAIGN} already there; not generated again`);
  } else {
    await createCampaignRepository(pool).publish(parseCampaignText(DEFINITION, 'bench'), 'bench');
    // Row i entered on day (i mod 365) before today; i > deliveries are held out and get no message.
    // Bulk-loaded with triggers off (session_replication_role), then the roll-up is built by the same
    // rules the triggers apply row by row: this bench measures the read, not the write path.
    const span = (table: string, sql: string, total: number) => async () => {
      for (let from = 1; from <= total; from += CHUNK) {
        const to = Math.min(total, from + CHUNK - 1);
        await withTransaction(pool, async (client) => {
          await client.query("SET LOCAL session_replication_role = 'replica'");
          await client.query(sql, [from, to, CAMPAIGN, deliveries]);
        });
        say(`stats: ${table} ${to}/${total}`);
      }
    };
    const at = `(date_trunc('day', now()) - ((i % 365) || ' days')::interval + ((i % 86400) || ' seconds')::interval)`;
    await span('users', `INSERT INTO users (pseudonym, user_id) SELECT 'bs' || i, 'bench-stats-' || i FROM generate_series($1::int, $2::int) i
      WHERE $3::text IS NOT NULL AND $4::int > 0 ON CONFLICT DO NOTHING`, entries)();
    await span('experiment_entries', `INSERT INTO experiment_entries (campaign_id, pseudonym, entry, campaign_version, variant, held_out, entered_at)
      SELECT $3, 'bs' || i, 1, 1, CASE WHEN i > $4 THEN 'holdout' WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, i > $4, ${at}
      FROM generate_series($1::int, $2::int) i ON CONFLICT DO NOTHING`, entries)();
    await span('deliveries', `INSERT INTO deliveries (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel, category, status, attempts, created_at, updated_at)
      SELECT $3 || ':v1:bs' || i || ':1:offer', 'bs' || i, $3, 1, 'offer', 'email', 'marketing', 'sent', 1, ${at} + interval '1 minute', ${at} + interval '1 minute'
      FROM generate_series($1::int, $2::int) i WHERE i <= $4 ON CONFLICT DO NOTHING`, deliveries)();
    await span('engagement_events', `INSERT INTO engagement_events (message_id, pseudonym, event, delivery_key, campaign_id, campaign_version, step_id, channel, payload, occurred_at, signalled_at)
      SELECT 'opened:' || $3 || ':v1:bs' || i || ':1:offer', 'bs' || i, 'Message Opened', $3 || ':v1:bs' || i || ':1:offer', $3, 1, 'offer', 'email', '{}'::jsonb,
             ${at} + interval '1 minute' + ((i % 7200) || ' seconds')::interval, now()
      FROM generate_series($1::int, $2::int) i WHERE i <= $4 ON CONFLICT DO NOTHING`, deliveries)();
    await span('conversions', `INSERT INTO conversions (campaign_id, pseudonym, entry, campaign_version, variant, event, message_id, converted_at, seconds_from_entry, last_delivery_key, last_step_id, last_channel)
      SELECT $3, 'bs' || i, 1, 1, CASE WHEN i > $4 THEN 'holdout' WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, 'Bench Bought', 'bought-' || i, ${at} + interval '2 hours', 7200,
             CASE WHEN i <= $4 THEN $3 || ':v1:bs' || i || ':1:offer' END, CASE WHEN i <= $4 THEN 'offer' END, CASE WHEN i <= $4 THEN 'email' END
      FROM generate_series($1::int, $2::int) i WHERE i % 9 = 0 ON CONFLICT DO NOTHING`, entries)();
  }
  // Each roll-up, built from the one before it (daily from the rows, monthly and per-day totals from the daily), when it is
  // empty or the rows were just generated.
  const rollups = [
    { table: 'campaign_daily_stats', build: ROLLUP, what: 'the roll-up from the generated rows' },
    { table: 'campaign_monthly_stats', build: MONTHLY, what: 'the monthly roll-up from the daily one' },
    { table: 'campaign_daily_totals', build: TOTALS, what: 'the per-day totals from the daily roll-up' },
  ];
  for (const { table, build, what } of rollups) {
    const built = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE campaign_id = $1`, [CAMPAIGN]);
    if (Number(built.rows[0]!.n) > 0 && Number(have.rows[0]!.n) >= deliveries) continue;
    say(`stats: building ${what}`);
    await withTransaction(pool, async (client) => {
      await client.query(`DELETE FROM ${table} WHERE campaign_id = $1`, [CAMPAIGN]);
      await client.query(build, [CAMPAIGN]);
    });
    await pool.query(`ANALYZE ${table}`);
  }
  const counts: Record<string, number> = {};
  for (const table of ['experiment_entries', 'deliveries', 'engagement_events', 'conversions']) {
    counts[table] = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE campaign_id = $1`, [CAMPAIGN])).rows[0]!.n);
  }
  return counts;
}

export async function runStatsBench(options: StatsBenchOptions): Promise<StatsBenchReport & { postgres: string }> {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const embedded = await startEmbeddedPostgres({ port: 0 });
    stopEmbedded = () => embedded.stop();
    url = embedded.url;
  }
  const pool = createPool(url, 4);
  try {
    await migrate(pool);
    const started = Date.now();
    const generated = await generate(pool, options.deliveries);
    const generateSeconds = Math.round((Date.now() - started) / 100) / 10;
    const rollupRows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM campaign_daily_stats WHERE campaign_id = $1', [CAMPAIGN])).rows[0]!.n);
    const ops = createCampaignStatsOps({ pool });
    const today = new Date().toISOString().slice(0, 10);
    const daysBack = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const ranges = [['year', daysBack(365)], ['month', daysBack(29)], ['week', daysBack(6)]] as const;
    const groups: GroupBy[] = ['day', 'step', 'variant', 'channel', 'step,variant'];
    // Each campaign grouping, and the whole programme's figures (GET /v1/ops/programme/stats: every campaign's journey-level arms).
    const asked = (from: string) => [
      ...groups.map((groupBy) => ({ groupBy: groupBy, run: async () => {
        const stats = await ops.stats(CAMPAIGN, { from, to: today, groupBy });
        if (stats.funnel.entered === 0) throw new Error('the generated campaign shows no entries');
      } })),
      { groupBy: '(programme)', run: async () => void (await ops.programme({ from, to: today })) },
    ];
    const cells = ranges.flatMap(([range, from]) => asked(from).map((query) => ({ range, ...query, samples: [] as number[] })));
    // Warm-up: the first queries pay for plans and cold pages.
    for (const cell of cells) await cell.run();
    const startedQueries = Date.now();
    for (let i = 0; i < options.queries; i++) {
      const cell = cells[i % cells.length]!;
      const t0 = process.hrtime.bigint();
      await cell.run();
      cell.samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const elapsed = Date.now() - startedQueries;
    const page = options.pages > 0 ? await runPageBench(pool, url, CAMPAIGN, options.pages) : undefined;
    const write = options.writes > 0 ? await runWriteBench(url, options.writes) : undefined;
    return {
      postgres: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL (throwaway)',
      generated,
      generateSeconds,
      rollupRows,
      queries: cells.map((cell) => ({ groupBy: cell.groupBy, range: cell.range, summary: summarise(cell.samples, elapsed) })),
      all: summarise(cells.flatMap((cell) => cell.samples), elapsed),
      ...(page && { page }),
      ...(write && { write }),
    };
  } finally {
    await pool.end();
    await stopEmbedded?.();
  }
}
