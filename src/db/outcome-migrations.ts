import type { Migration } from './migrations';

/**
 * Outcomes (ids 10, 12, 13, 14): experiment entries, conversions, the daily and monthly campaign roll-ups, winner decisions,
 * engaged sessions and the per-day totals without step, arm and channel.
 */
export const outcomeMigrations: readonly Migration[] = [
  {
    id: 10,
    name: 'experiment entries, conversions and the daily campaign roll-up',
    sql: `
      -- One row per journey entry, written when the journey starts: the arm it was assigned (held-out entrants too) and how it ended.
      CREATE TABLE experiment_entries (
        campaign_id      text NOT NULL,
        pseudonym        text NOT NULL,
        entry            integer NOT NULL,
        campaign_version integer NOT NULL,
        variant          text NOT NULL,
        held_out         boolean NOT NULL,
        entered_at       timestamptz NOT NULL,
        end_status       text CHECK (end_status IN ('completed', 'exited')),
        end_reason       text,
        ended_at         timestamptz,
        PRIMARY KEY (campaign_id, pseudonym, entry)
      );
      CREATE INDEX experiment_entries_by_user ON experiment_entries (pseudonym);
      CREATE INDEX experiment_entries_by_campaign_time ON experiment_entries (campaign_id, entered_at);

      -- At most one conversion per entry: the goal event within its window, credited to the entry's last delivery before it.
      CREATE TABLE conversions (
        campaign_id        text NOT NULL,
        pseudonym          text NOT NULL,
        entry              integer NOT NULL,
        campaign_version   integer NOT NULL,
        variant            text NOT NULL,
        event              text NOT NULL,
        message_id         text NOT NULL,
        converted_at       timestamptz NOT NULL,
        seconds_from_entry double precision NOT NULL,
        last_delivery_key  text,
        last_step_id       text,
        last_channel       text,
        recorded_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, pseudonym, entry)
      );
      CREATE INDEX conversions_by_user ON conversions (pseudonym);

      -- Counters per campaign, version, UTC day, step ('' for the journey as a whole), variant and channel ('' for none),
      -- kept by the triggers below in the transaction that writes the fact, so the stats API reads sums, not raw rows.
      CREATE TABLE campaign_daily_stats (
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        day              date NOT NULL,
        step_id          text NOT NULL,
        variant          text NOT NULL,
        channel          text NOT NULL,
        metric           text NOT NULL,
        count            bigint NOT NULL,
        PRIMARY KEY (campaign_id, day, campaign_version, step_id, variant, channel, metric)
      );

      -- A delivery's first click is found by its key.
      CREATE INDEX engagement_events_by_delivery ON engagement_events (delivery_key, event);

      CREATE FUNCTION beckon_stats_add(c text, v integer, d date, s text, var text, ch text, m text, n bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO campaign_daily_stats (campaign_id, campaign_version, day, step_id, variant, channel, metric, count)
        VALUES (c, v, d, s, var, ch, m, n)
        ON CONFLICT (campaign_id, day, campaign_version, step_id, variant, channel, metric) DO UPDATE SET count = campaign_daily_stats.count + EXCLUDED.count
      $$;

      -- The arm of the entry a delivery key belongs to (campaign:vN:pseudonym:entry:step); 'unassigned' for journeys started before assignments.
      CREATE FUNCTION beckon_variant_of(c text, p text, key text) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT coalesce(
          (SELECT variant FROM experiment_entries WHERE campaign_id = c AND pseudonym = p AND entry = split_part(key, ':', 4)::integer),
          'unassigned')
      $$;

      CREATE FUNCTION beckon_stats_entries() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, (NEW.entered_at AT TIME ZONE 'UTC')::date, '', NEW.variant, '', 'entered', 1);
        ELSIF OLD.end_status IS NULL AND NEW.end_status IS NOT NULL THEN
          PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, (NEW.ended_at AT TIME ZONE 'UTC')::date, '', NEW.variant, '',
            CASE WHEN NEW.end_status = 'completed' THEN 'completed' ELSE 'exited:' || coalesce(NEW.end_reason, 'other') END, 1);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER experiment_entries_stats AFTER INSERT OR UPDATE OF end_status ON experiment_entries
        FOR EACH ROW EXECUTE FUNCTION beckon_stats_entries();

      -- Final outcomes only (sent, skipped:<reason>, failed, unknown); an 'unknown' that the provider's answer turns into 'sent' moves over.
      CREATE FUNCTION beckon_stats_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        old_metric text;
        new_metric text;
        arm text;
        -- The outcome's own time: updated_at is now() for every status change the send path makes.
        today date := (NEW.updated_at AT TIME ZONE 'UTC')::date;
      BEGIN
        new_metric := CASE NEW.status WHEN 'sent' THEN 'sent' WHEN 'failed' THEN 'failed' WHEN 'unknown' THEN 'unknown'
          WHEN 'skipped' THEN 'skipped:' || coalesce(NEW.reason, 'other') END;
        IF TG_OP = 'UPDATE' THEN
          IF OLD.status = NEW.status THEN RETURN NULL; END IF;
          old_metric := CASE OLD.status WHEN 'unknown' THEN 'unknown' END;
        END IF;
        IF new_metric IS NULL AND old_metric IS NULL THEN RETURN NULL; END IF;
        arm := beckon_variant_of(NEW.campaign_id, NEW.pseudonym, NEW.delivery_key);
        IF old_metric IS NOT NULL THEN
          PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, today, NEW.step_id, arm, NEW.channel, old_metric, -1);
        END IF;
        IF new_metric IS NOT NULL THEN
          PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, today, NEW.step_id, arm, NEW.channel, new_metric, 1);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER deliveries_stats AFTER INSERT OR UPDATE OF status ON deliveries
        FOR EACH ROW EXECUTE FUNCTION beckon_stats_deliveries();

      -- Unique opens and clicks per delivery, and the time from the send to the first of them, in log-spaced buckets
      -- (bucket k holds [2^(k/4) - 1, 2^((k+1)/4) - 1) seconds: about 19% wide, for the median and p90).
      CREATE FUNCTION beckon_stats_engagement() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        arm text;
        day date := (NEW.occurred_at AT TIME ZONE 'UTC')::date;
        sent_at timestamptz;
        first_of_kind boolean;
        first_of_any boolean;
      BEGIN
        first_of_kind := NOT EXISTS (SELECT 1 FROM engagement_events WHERE delivery_key = NEW.delivery_key AND event = NEW.event AND message_id <> NEW.message_id);
        first_of_any := NOT EXISTS (SELECT 1 FROM engagement_events WHERE delivery_key = NEW.delivery_key AND message_id <> NEW.message_id);
        IF NOT first_of_kind THEN RETURN NULL; END IF;
        arm := beckon_variant_of(NEW.campaign_id, NEW.pseudonym, NEW.delivery_key);
        PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, day, NEW.step_id, arm, NEW.channel,
          CASE NEW.event WHEN 'Message Opened' THEN 'opened' WHEN 'Message Clicked' THEN 'clicked' ELSE 'engaged:' || NEW.event END, 1);
        IF first_of_any THEN
          SELECT updated_at INTO sent_at FROM deliveries WHERE delivery_key = NEW.delivery_key AND status = 'sent';
          IF sent_at IS NOT NULL THEN
            PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, day, NEW.step_id, arm, NEW.channel,
              'time_to_engage:' || floor(4 * log(2, 1 + greatest(0, extract(epoch FROM NEW.occurred_at - sent_at))::numeric))::integer, 1);
          END IF;
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER engagement_events_stats AFTER INSERT ON engagement_events
        FOR EACH ROW EXECUTE FUNCTION beckon_stats_engagement();

      -- A conversion counts for the journey as a whole and, credited, for the step and channel of its last delivery.
      CREATE FUNCTION beckon_stats_conversions() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        day date := (NEW.converted_at AT TIME ZONE 'UTC')::date;
      BEGIN
        PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, day, '', NEW.variant, '', 'converted', 1);
        IF NEW.last_step_id IS NOT NULL THEN
          PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, day, NEW.last_step_id, NEW.variant, coalesce(NEW.last_channel, ''), 'converted', 1);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER conversions_stats AFTER INSERT ON conversions
        FOR EACH ROW EXECUTE FUNCTION beckon_stats_conversions();

      -- One-click unsubscribes from a message's link, once per message, counted for its campaign step.
      CREATE TABLE message_unsubscribes (
        delivery_key     text PRIMARY KEY,
        pseudonym        text NOT NULL,
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        step_id          text NOT NULL,
        channel          text NOT NULL,
        unsubscribed_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX message_unsubscribes_by_user ON message_unsubscribes (pseudonym);
      CREATE FUNCTION beckon_stats_unsubscribes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, (NEW.unsubscribed_at AT TIME ZONE 'UTC')::date, NEW.step_id,
          beckon_variant_of(NEW.campaign_id, NEW.pseudonym, NEW.delivery_key), NEW.channel, 'unsubscribed', 1);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER message_unsubscribes_stats AFTER INSERT ON message_unsubscribes
        FOR EACH ROW EXECUTE FUNCTION beckon_stats_unsubscribes();
    `,
  },
  {
    id: 12,
    name: 'monthly campaign roll-up beside the daily one, for long ranges',
    sql: `
      -- The daily counters summed per UTC calendar month (month = its first day): a year's figures read about
      -- 12 of these per counter plus the days of the two partial months, not 365 daily rows.
      CREATE TABLE campaign_monthly_stats (
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        month            date NOT NULL,
        step_id          text NOT NULL,
        variant          text NOT NULL,
        channel          text NOT NULL,
        metric           text NOT NULL,
        count            bigint NOT NULL,
        PRIMARY KEY (campaign_id, month, campaign_version, step_id, variant, channel, metric)
      );
      INSERT INTO campaign_monthly_stats (campaign_id, campaign_version, month, step_id, variant, channel, metric, count)
        SELECT campaign_id, campaign_version, date_trunc('month', day::timestamp)::date, step_id, variant, channel, metric, sum(count)
        FROM campaign_daily_stats GROUP BY 1, 2, 3, 4, 5, 6, 7;

      -- Every counter the triggers add goes to its day and to its month, in the same statement.
      CREATE OR REPLACE FUNCTION beckon_stats_add(c text, v integer, d date, s text, var text, ch text, m text, n bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO campaign_daily_stats (campaign_id, campaign_version, day, step_id, variant, channel, metric, count)
        VALUES (c, v, d, s, var, ch, m, n)
        ON CONFLICT (campaign_id, day, campaign_version, step_id, variant, channel, metric) DO UPDATE SET count = campaign_daily_stats.count + EXCLUDED.count;
        INSERT INTO campaign_monthly_stats (campaign_id, campaign_version, month, step_id, variant, channel, metric, count)
        VALUES (c, v, date_trunc('month', d::timestamp)::date, s, var, ch, m, n)
        ON CONFLICT (campaign_id, month, campaign_version, step_id, variant, channel, metric) DO UPDATE SET count = campaign_monthly_stats.count + EXCLUDED.count;
      $$;
    `,
  },
  {
    id: 13,
    name: 'experiment decisions of auto winner rules, engaged sessions after messages, conversion attribution',
    sql: `
      -- The auto winner rule's decision, once per campaign version: later entrants of that version go down the winner.
      CREATE TABLE experiment_decisions (
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        variant          text NOT NULL,
        decided_at       timestamptz NOT NULL DEFAULT now(),
        reason           text NOT NULL,
        -- The experiment table at the moment of the decision (arms, counts, intervals, p-values).
        figures          jsonb NOT NULL,
        PRIMARY KEY (campaign_id, campaign_version)
      );

      -- Which message a conversion is credited to: last_touch (the default), first_touch or none.
      ALTER TABLE conversions ADD COLUMN attribution text NOT NULL DEFAULT 'last_touch';

      -- The session that follows each sent message: from the user's first event after it to the last event
      -- of that session (events at most 30 minutes apart). Opened when the message is sent, settled by the periodic loop.
      CREATE TABLE message_sessions (
        delivery_key     text PRIMARY KEY REFERENCES deliveries (delivery_key) ON DELETE CASCADE,
        pseudonym        text NOT NULL,
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        step_id          text NOT NULL,
        channel          text NOT NULL,
        sent_at          timestamptz NOT NULL,
        started_at       timestamptz,
        ended_at         timestamptz,
        engaged_seconds  double precision,
        settled_at       timestamptz
      );
      CREATE INDEX message_sessions_unsettled ON message_sessions (sent_at) WHERE settled_at IS NULL;
      CREATE INDEX ingested_messages_by_user_time ON ingested_messages (pseudonym, received_at);
      CREATE INDEX engagement_events_by_user_time ON engagement_events (pseudonym, occurred_at);

      CREATE FUNCTION beckon_sessions_open() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'sent' AND (TG_OP = 'INSERT' OR OLD.status <> 'sent') THEN
          INSERT INTO message_sessions (delivery_key, pseudonym, campaign_id, campaign_version, step_id, channel, sent_at)
          VALUES (NEW.delivery_key, NEW.pseudonym, NEW.campaign_id, NEW.campaign_version, NEW.step_id, NEW.channel, NEW.updated_at)
          ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER deliveries_sessions AFTER INSERT OR UPDATE OF status ON deliveries
        FOR EACH ROW EXECUTE FUNCTION beckon_sessions_open();

      -- A settled session with engaged time counts in the roll-up on its message's step, in the time-to-engage buckets' scale.
      CREATE FUNCTION beckon_stats_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.settled_at IS NULL AND NEW.settled_at IS NOT NULL AND NEW.engaged_seconds IS NOT NULL THEN
          PERFORM beckon_stats_add(NEW.campaign_id, NEW.campaign_version, (NEW.started_at AT TIME ZONE 'UTC')::date, NEW.step_id,
            beckon_variant_of(NEW.campaign_id, NEW.pseudonym, NEW.delivery_key), NEW.channel,
            'engaged_time:' || floor(4 * log(2, 1 + greatest(0, NEW.engaged_seconds)::numeric))::integer, 1);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER message_sessions_stats AFTER UPDATE OF settled_at ON message_sessions
        FOR EACH ROW EXECUTE FUNCTION beckon_stats_sessions();
    `,
  },
  {
    id: 14,
    name: 'per-day campaign totals without step, arm and channel, for the per-day series',
    sql: `
      -- The daily counters summed over steps (journey-level or not), arms and channels: a campaign's figures per day
      -- read one row per (day, version, journey-level or not, metric), not one per step, arm and channel.
      CREATE TABLE campaign_daily_totals (
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        day              date NOT NULL,
        journey          boolean NOT NULL,
        metric           text NOT NULL,
        count            bigint NOT NULL,
        PRIMARY KEY (campaign_id, day, journey, metric, campaign_version)
      );
      INSERT INTO campaign_daily_totals (campaign_id, campaign_version, day, journey, metric, count)
        SELECT campaign_id, campaign_version, day, step_id = '', metric, sum(count)
        FROM campaign_daily_stats GROUP BY 1, 2, 3, 4, 5;

      -- Every counter the triggers add goes to its day, its month and its day's totals, in the same statement.
      CREATE OR REPLACE FUNCTION beckon_stats_add(c text, v integer, d date, s text, var text, ch text, m text, n bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO campaign_daily_stats (campaign_id, campaign_version, day, step_id, variant, channel, metric, count)
        VALUES (c, v, d, s, var, ch, m, n)
        ON CONFLICT (campaign_id, day, campaign_version, step_id, variant, channel, metric) DO UPDATE SET count = campaign_daily_stats.count + EXCLUDED.count;
        INSERT INTO campaign_monthly_stats (campaign_id, campaign_version, month, step_id, variant, channel, metric, count)
        VALUES (c, v, date_trunc('month', d::timestamp)::date, s, var, ch, m, n)
        ON CONFLICT (campaign_id, month, campaign_version, step_id, variant, channel, metric) DO UPDATE SET count = campaign_monthly_stats.count + EXCLUDED.count;
        INSERT INTO campaign_daily_totals (campaign_id, campaign_version, day, journey, metric, count)
        VALUES (c, v, d, s = '', m, n)
        ON CONFLICT (campaign_id, day, journey, metric, campaign_version) DO UPDATE SET count = campaign_daily_totals.count + EXCLUDED.count;
      $$;
    `,
  },
];
