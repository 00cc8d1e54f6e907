import type { Migration } from './migrations';

/** Privacy (id 11): per-user data keys, erasures, suppression; consent history that outlives the profile. */
export const privacyMigrations: readonly Migration[] = [
  {
    id: 11,
    name: 'privacy: per-user data keys, erasures, suppression; consent history outlives the profile',
    sql: `
      -- Each user's payload key, wrapped (AES-256-GCM) by a master key named by master_key_id; deleting the row destroys the key.
      CREATE TABLE user_data_keys (
        key_id        text PRIMARY KEY,
        pseudonym     text NOT NULL UNIQUE,
        wrapped       bytea NOT NULL,
        master_key_id text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      );

      -- One row per erased pseudonym (the user's and each linked visitor's): calls for it are dropped until lifted_at.
      CREATE TABLE suppressions (
        pseudonym     text PRIMARY KEY,
        erasure_id    text NOT NULL,
        suppressed_at timestamptz NOT NULL DEFAULT now(),
        lifted_at     timestamptz,
        lifted_by     text
      );

      -- The auditor's record of an erasure: when, by which admin token, and what was removed (counts, no personal data).
      CREATE TABLE erasures (
        id           text PRIMARY KEY,
        pseudonym    text NOT NULL,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        -- Rows removed, written in the deleting transaction: a retried step reports the first run's counts, not zeros.
        rows_removed jsonb,
        removed      jsonb
      );
      CREATE INDEX erasures_by_user ON erasures (pseudonym, requested_at DESC);

      -- The consent history is the auditor's proof of what the user chose: it stays, under the pseudonym, after erasure.
      ALTER TABLE consent_changes DROP CONSTRAINT IF EXISTS consent_changes_pseudonym_fkey;
      CREATE INDEX engagement_events_by_user ON engagement_events (pseudonym);
      CREATE INDEX ingested_messages_by_user ON ingested_messages (pseudonym);
      CREATE INDEX aliases_by_user ON aliases (user_pseudonym);
    `,
  },
];
