import type { Pool } from 'pg';
import { createPool } from '../../src/db/pool';
import { say } from './stack';
import { summarise, timedLoad, type Summary } from './stats';

/** A campaign of its own, so the timed writes add nothing to the read bench's figures. */
const CAMPAIGN = 'bench-stats-write';
const CONCURRENCY = 8;

export interface WriteBenchReport {
  rows: { write: string; triggers: 'on' | 'off'; perSecond: number; summary: Summary }[];
}

/**
 * The roll-up triggers' cost on the write path: deliveries as the send path writes them (a 'reserved'
 * row, then its update to 'sent', two autocommit statements) and their opens (one engagement row each),
 * from 8 connections at once into today's counters, with the roll-up triggers on and off (ALTER TABLE ... DISABLE TRIGGER:
 * the bench's own database only).
 * Each run writes rows of its own (a run id in the keys), so on and off do the same work.
 */
export async function runWriteBench(databaseUrl: string, messages: number): Promise<WriteBenchReport> {
  const rows: WriteBenchReport['rows'] = [];
  for (const [round, triggers] of (['off', 'on', 'off', 'on'] as const).entries()) {
    const pool = createPool(databaseUrl, CONCURRENCY);
    // Only the roll-up's two triggers are switched off (foreign keys stay checked); back on whatever happens.
    await switchTriggers(pool, triggers === 'on');
    try {
      const run = `${Date.now().toString(36)}${round}`;
      await entries(pool, run, messages);
      const key = (i: number) => `${CAMPAIGN}:v1:bw${run}-${i}:1:offer`;
      const sends = await timedLoad(`stats write: deliveries, triggers ${triggers}`, messages, CONCURRENCY, async (i) => {
        await pool.query(
          `INSERT INTO deliveries (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel, category, status)
           VALUES ($1, $2, $3, 1, 'offer', 'email', 'marketing', 'reserved')`,
          [key(i), `bw${run}-${i}`, CAMPAIGN],
        );
        await pool.query(`UPDATE deliveries SET status = 'sent', attempts = 1, updated_at = now() WHERE delivery_key = $1 AND status = ANY($2)`, [key(i), ['reserved', 'sending']]);
      });
      const opens = await timedLoad(`stats write: opens, triggers ${triggers}`, messages, CONCURRENCY, async (i) => {
        await pool.query(
          `INSERT INTO engagement_events (message_id, pseudonym, event, delivery_key, campaign_id, campaign_version, step_id, channel, payload, occurred_at)
           VALUES ($1, $2, 'Message Opened', $3, $4, 1, 'offer', 'email', '{}'::jsonb, now())
           ON CONFLICT (message_id) DO UPDATE SET message_id = EXCLUDED.message_id`,
          [`opened:${key(i)}`, `bw${run}-${i}`, key(i), CAMPAIGN],
        );
      });
      for (const [write, result] of [['delivery (insert + update to sent)', sends], ['open (engagement insert)', opens]] as const) {
        if (result.errors > 0) throw new Error(`stats write: ${result.errors} ${write} writes failed`);
        const summary = summarise(result.samples, result.elapsedMs);
        rows.push({ write, triggers, perSecond: summary.perSecond, summary });
      }
      say(`stats write: round ${round + 1}/4 (triggers ${triggers}) done`);
    } finally {
      await switchTriggers(pool, true);
      await pool.end();
    }
  }
  return { rows };
}

async function switchTriggers(pool: Pool, on: boolean): Promise<void> {
  const how = on ? 'ENABLE' : 'DISABLE';
  await pool.query(`ALTER TABLE deliveries ${how} TRIGGER deliveries_stats`);
  await pool.query(`ALTER TABLE engagement_events ${how} TRIGGER engagement_events_stats`);
}

/** The users and entries the deliveries belong to (the delivery trigger reads the entry's arm), written in bulk, untimed. */
async function entries(pool: Pool, run: string, messages: number): Promise<void> {
  await pool.query(
    `INSERT INTO users (pseudonym, user_id) SELECT 'bw' || $1 || '-' || i, 'bench-write-' || $1 || '-' || i FROM generate_series(0, $2 - 1) i`,
    [run, messages],
  );
  await pool.query(
    `INSERT INTO experiment_entries (campaign_id, pseudonym, entry, campaign_version, variant, held_out, entered_at)
     SELECT $3, 'bw' || $1 || '-' || i, 1, 1, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, false, now() FROM generate_series(0, $2 - 1) i`,
    [run, messages, CAMPAIGN],
  );
}
