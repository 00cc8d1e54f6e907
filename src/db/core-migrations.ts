import type { Migration } from './migrations';

/** The core schema (ids 1 to 9): users and the inbox, campaigns and the catalog, profiles and consent, sources and the ingestion ledger, deliveries, engagement, admin tokens, client auth, Segment groups. */
export const coreMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'users and in-app inbox',
    sql: `
      CREATE TABLE users (
        pseudonym    text PRIMARY KEY,
        user_id      text NOT NULL UNIQUE,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE inbox_messages (
        id               bigserial PRIMARY KEY,
        pseudonym        text NOT NULL,
        delivery_key     text NOT NULL UNIQUE,
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        title            text NOT NULL,
        body             text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        read_at          timestamptz
      );
      CREATE INDEX inbox_messages_by_user ON inbox_messages (pseudonym, id DESC);
    `,
  },
  {
    id: 2,
    name: 'campaign versions and the catalog revision',
    sql: `
      CREATE TABLE campaigns (
        id              text PRIMARY KEY,
        name            text NOT NULL,
        status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
        current_version integer NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE campaign_versions (
        campaign_id text NOT NULL REFERENCES campaigns (id),
        version     integer NOT NULL,
        definition  jsonb NOT NULL,
        compiled    jsonb NOT NULL,
        checksum    text NOT NULL,
        source      text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, version)
      );

      -- One row: bumped by every change to the active campaigns, so user workflows know when to reload.
      CREATE TABLE campaign_catalog (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        revision  bigint NOT NULL
      );
      INSERT INTO campaign_catalog (singleton, revision) VALUES (true, 0);
    `,
  },
  {
    id: 3,
    name: 'profiles: traits, contact points, push tokens and consent',
    sql: `
      ALTER TABLE users
        ADD COLUMN traits     jsonb NOT NULL DEFAULT '{}'::jsonb,
        ADD COLUMN email      text,
        ADD COLUMN phone      text,
        ADD COLUMN timezone   text,
        ADD COLUMN locale     text,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

      -- A device token belongs to one user at a time; a re-registered device moves to its new owner.
      CREATE TABLE push_tokens (
        token        text PRIMARY KEY,
        pseudonym    text NOT NULL REFERENCES users (pseudonym) ON DELETE CASCADE,
        platform     text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX push_tokens_by_user ON push_tokens (pseudonym);

      -- The current choice per user, channel and category ('*' stands for the whole channel).
      CREATE TABLE consents (
        pseudonym  text NOT NULL REFERENCES users (pseudonym) ON DELETE CASCADE,
        channel    text NOT NULL,
        category   text NOT NULL DEFAULT '*',
        granted    boolean NOT NULL,
        source     text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (pseudonym, channel, category)
      );

      -- Every change, kept: who or what changed it (source) and when.
      CREATE TABLE consent_changes (
        id         bigserial PRIMARY KEY,
        pseudonym  text NOT NULL REFERENCES users (pseudonym) ON DELETE CASCADE,
        channel    text NOT NULL,
        category   text NOT NULL,
        granted    boolean NOT NULL,
        source     text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX consent_changes_by_user ON consent_changes (pseudonym, id);
    `,
  },
  {
    id: 4,
    name: 'sources with hashed write keys, the ingestion ledger and anonymous aliases',
    sql: `
      -- A source is one app sending events; its write key is kept only as a SHA-256 hash.
      CREATE TABLE sources (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        key_hash   bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );

      -- One row per messageId a source sent: a retry of an accepted message is answered, not re-sent.
      CREATE TABLE ingested_messages (
        source_id   text NOT NULL REFERENCES sources (id),
        message_id  text NOT NULL,
        pseudonym   text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        accepted_at timestamptz,
        PRIMARY KEY (source_id, message_id)
      );
      CREATE INDEX ingested_messages_by_time ON ingested_messages (received_at);

      -- An anonymous visitor who became a known user: later anonymous events go to the user.
      CREATE TABLE aliases (
        anonymous_pseudonym text PRIMARY KEY,
        user_pseudonym      text NOT NULL,
        created_at          timestamptz NOT NULL DEFAULT now(),
        -- Set once the user's workflow has been asked to absorb the anonymous one; until then every call retries it.
        merge_requested_at  timestamptz
      );
    `,
  },
  {
    id: 5,
    name: 'deliveries, the delivery policy and the dev outbox',
    sql: `
      -- One row per message step (campaign version, user, entry, step): the key is what makes a retry find the first attempt.
      CREATE TABLE deliveries (
        delivery_key      text PRIMARY KEY,
        pseudonym         text NOT NULL REFERENCES users (pseudonym) ON DELETE CASCADE,
        campaign_id       text NOT NULL,
        campaign_version  integer NOT NULL,
        step_id           text NOT NULL,
        channel           text NOT NULL,
        category          text NOT NULL,
        status            text NOT NULL CHECK (status IN ('reserved', 'sending', 'sent', 'failed', 'skipped', 'unknown')),
        reason            text,
        detail            text,
        provider_id       text,
        attempts          integer NOT NULL DEFAULT 0,
        local_day         text,
        counts_toward_cap boolean NOT NULL DEFAULT false,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX deliveries_by_user_day ON deliveries (pseudonym, local_day);

      -- The cross-campaign rules of policy.yaml, published with the campaigns so every worker reads the same.
      CREATE TABLE delivery_policy (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        policy     jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- What the dev sinks of npm start received (the local SMTP server, the push log); empty in production.
      CREATE TABLE dev_outbox (
        id          bigserial PRIMARY KEY,
        channel     text NOT NULL,
        recipients  text[] NOT NULL,
        subject     text,
        body        jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 6,
    name: 'in-app message states, live inbox notifications and engagement events',
    sql: `
      ALTER TABLE inbox_messages
        ADD COLUMN action_url   text,
        ADD COLUMN seen_at      timestamptz,
        ADD COLUMN clicked_at   timestamptz,
        ADD COLUMN dismissed_at timestamptz;
      CREATE INDEX inbox_messages_unread ON inbox_messages (pseudonym, id DESC) WHERE read_at IS NULL AND dismissed_at IS NULL;

      -- NOTIFY is delivered on commit only, so a live stream never shows a message that is rolled back.
      CREATE FUNCTION beckon_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('beckon_inbox', NEW.pseudonym || ' ' || NEW.id);
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER inbox_messages_notify AFTER INSERT ON inbox_messages FOR EACH ROW EXECUTE FUNCTION beckon_inbox_notify();

      -- Opens and clicks, kept first and then handed to the user workflow (signalled_at), so none is lost while Temporal is down.
      CREATE TABLE engagement_events (
        message_id       text PRIMARY KEY,
        pseudonym        text NOT NULL,
        event            text NOT NULL,
        delivery_key     text NOT NULL,
        campaign_id      text NOT NULL,
        campaign_version integer NOT NULL,
        step_id          text NOT NULL,
        channel          text NOT NULL,
        payload          jsonb NOT NULL,
        occurred_at      timestamptz NOT NULL DEFAULT now(),
        signalled_at     timestamptz
      );
      CREATE INDEX engagement_events_unsignalled ON engagement_events (occurred_at) WHERE signalled_at IS NULL;
      CREATE INDEX engagement_events_by_campaign ON engagement_events (campaign_id, campaign_version, step_id, event);
    `,
  },
  {
    id: 7,
    name: 'admin tokens for the ops API and CLI',
    sql: `
      -- Only a hash of each token is kept; the token itself is shown once, when it is made.
      CREATE TABLE admin_tokens (
        id           text PRIMARY KEY,
        name         text NOT NULL,
        token_hash   text NOT NULL,
        scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'operate', 'admin']::text[] AND cardinality(scopes) > 0),
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      );
    `,
  },
  {
    id: 8,
    name: 'source signing keys, client auth and CORS origins of sources, used stream tickets',
    sql: `
      -- Sources made before user tokens existed stay open (optional) until their owner opts in; new ones require tokens.
      ALTER TABLE sources ADD COLUMN client_auth text NOT NULL DEFAULT 'optional' CHECK (client_auth IN ('required', 'optional'));
      ALTER TABLE sources ALTER COLUMN client_auth SET DEFAULT 'required';
      -- Browser origins allowed to call the client routes (inbox, stream, consent); none by default.
      ALTER TABLE sources ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}';

      -- A source's keys for user tokens: a SHA-256 to check the key when presented, and the key sealed (AES-256-GCM)
      -- under a key derived from PSEUDONYM_KEY to check HMACs made with it; a dump of this table can mint no token.
      CREATE TABLE source_signing_keys (
        id         text PRIMARY KEY,
        source_id  text NOT NULL REFERENCES sources (id),
        key_hash   bytea NOT NULL,
        key_sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- Set when a newer key replaces it: accepted until then (the rotation's overlap).
        expires_at timestamptz
      );
      CREATE INDEX source_signing_keys_by_source ON source_signing_keys (source_id);

      -- Nonces of stream tickets already used: a ticket opens one stream, once; rows outlive the ticket, then are pruned.
      CREATE TABLE stream_ticket_uses (
        nonce      text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX stream_ticket_uses_by_expiry ON stream_ticket_uses (expires_at);
    `,
  },
  {
    id: 9,
    name: 'groups of Segment group calls and their members',
    sql: `
      -- A group's traits merge across group calls (any member's), as Segment keeps them.
      CREATE TABLE segment_groups (
        group_id   text PRIMARY KEY,
        traits     jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE segment_group_members (
        pseudonym  text NOT NULL,
        group_id   text NOT NULL REFERENCES segment_groups (group_id),
        joined_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (pseudonym, group_id)
      );
    `,
  },
];
