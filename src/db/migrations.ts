import { coreMigrations } from './core-migrations';
import { outcomeMigrations } from './outcome-migrations';
import { privacyMigrations } from './privacy-migrations';

/**
 * The schema, as an append-only list: a released migration is never edited, a change is a new entry.
 * Each runs in its own transaction, recorded in schema_migrations.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * Every migration, in the order they run (by id). Each concept's entries live in its own file; a new
 * migration takes the next id, whichever file it belongs to.
 */
export const migrations: readonly Migration[] = [...coreMigrations, ...privacyMigrations, ...outcomeMigrations].sort((a, b) => a.id - b.id);
