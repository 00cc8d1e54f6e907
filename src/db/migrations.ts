/**
 * The schema, as an append-only list: a released migration is never edited, a change is a new entry.
 * Each runs in its own transaction, recorded in schema_migrations.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
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
];
