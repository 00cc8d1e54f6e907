import type { Queryable } from './queryable';

/** Events further apart than this end a session. */
export const SESSION_GAP_MINUTES = 30;
/** A session counts for a message if it starts within this many hours of the send; later activity is not its effect. */
export const SESSION_START_HOURS = 24;
/** A session is followed at most this many hours past the send (a longer one is cut there). */
const SESSION_HORIZON_HOURS = 48;

/**
 * The engaged time after each sent message (message_sessions, opened by a trigger when the message is
 * sent): from the user's first event after it (an ingested call, or an open or click) to the last event
 * of that session. The periodic loop settles a message's session once it cannot grow any more; the
 * roll-up trigger then counts it, so the stats API never reads raw events.
 */
export function createMessageSessionRepository(db: Queryable) {
  return {
    /**
     * Settles, oldest first, the sessions of messages sent before `now` that are over (their last event
     * is more than the gap behind `now`) or that never started (no event within SESSION_START_HOURS).
     * A message sent within the last gap cannot be either (its session's events all come after the send),
     * so it is not read at all: every round would otherwise re-read each recent message's events for nothing.
     * Returns how many were settled; each batch is one statement, idempotent, so replicas may race.
     */
    async settle(now: Date, batch = 500): Promise<number> {
      let settled = 0;
      let after: { sentAt: string; key: string } | undefined;
      for (;;) {
        const result = await db.query<{ last_sent_at: string | null; last_key: string | null; examined: string; settled: string }>(
          `WITH pending AS (
             SELECT delivery_key, pseudonym, sent_at FROM message_sessions
             WHERE settled_at IS NULL AND sent_at < $1::timestamptz - make_interval(mins => ${SESSION_GAP_MINUTES}) AND ($3::timestamptz IS NULL OR (sent_at, delivery_key) > ($3, $4::text))
             ORDER BY sent_at, delivery_key LIMIT $2),
           events AS (
             SELECT p.delivery_key, e.at FROM pending p
             CROSS JOIN LATERAL (
               SELECT received_at AS at FROM ingested_messages i
               WHERE i.pseudonym = p.pseudonym AND i.received_at > p.sent_at AND i.received_at <= p.sent_at + make_interval(hours => ${SESSION_HORIZON_HOURS})
               UNION ALL
               SELECT occurred_at FROM engagement_events g
               WHERE g.pseudonym = p.pseudonym AND g.occurred_at > p.sent_at AND g.occurred_at <= p.sent_at + make_interval(hours => ${SESSION_HORIZON_HOURS})
             ) e),
           gaps AS (
             SELECT delivery_key, at,
               CASE WHEN at - lag(at) OVER (PARTITION BY delivery_key ORDER BY at) > make_interval(mins => ${SESSION_GAP_MINUTES}) THEN 1 ELSE 0 END AS gap
             FROM events),
           numbered AS (
             SELECT delivery_key, at, sum(gap) OVER (PARTITION BY delivery_key ORDER BY at ROWS UNBOUNDED PRECEDING) AS session FROM gaps),
           first_session AS (
             SELECT delivery_key, min(at) AS started, max(at) AS ended FROM numbered WHERE session = 0 GROUP BY delivery_key),
           over AS (
             SELECT p.delivery_key,
               CASE WHEN f.started <= p.sent_at + make_interval(hours => ${SESSION_START_HOURS}) THEN f.started END AS started,
               CASE WHEN f.started <= p.sent_at + make_interval(hours => ${SESSION_START_HOURS}) THEN f.ended END AS ended
             FROM pending p LEFT JOIN first_session f USING (delivery_key)
             WHERE (f.started <= p.sent_at + make_interval(hours => ${SESSION_START_HOURS}) AND f.ended + make_interval(mins => ${SESSION_GAP_MINUTES}) < $1)
                OR (coalesce(f.started, 'infinity') > p.sent_at + make_interval(hours => ${SESSION_START_HOURS})
                    AND p.sent_at + make_interval(hours => ${SESSION_START_HOURS}) < $1)),
           updated AS (
             UPDATE message_sessions m
             SET started_at = over.started, ended_at = over.ended,
                 engaged_seconds = extract(epoch FROM over.ended - over.started), settled_at = $1
             FROM over WHERE m.delivery_key = over.delivery_key AND m.settled_at IS NULL
             RETURNING 1)
           SELECT (SELECT max(sent_at)::text FROM pending) AS last_sent_at,
                  (SELECT delivery_key FROM pending ORDER BY sent_at DESC, delivery_key DESC LIMIT 1) AS last_key,
                  (SELECT count(*) FROM pending) AS examined,
                  (SELECT count(*) FROM updated) AS settled`,
          [now, batch, after?.sentAt ?? null, after?.key ?? null],
        );
        const row = result.rows[0]!;
        settled += Number(row.settled);
        if (Number(row.examined) < batch || !row.last_sent_at || !row.last_key) return settled;
        after = { sentAt: row.last_sent_at, key: row.last_key };
      }
    },
  };
}

export type MessageSessionRepository = ReturnType<typeof createMessageSessionRepository>;
