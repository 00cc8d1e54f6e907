import { Client } from 'pg';

/**
 * Counts the SQL statements this process sends, by the pool that sent them (its
 * `application_name`), so the benchmarks can say what an event costs in Postgres. It wraps
 * pg's Client.query once; BEGIN and COMMIT count as statements, as they are round trips.
 */
const counts = new Map<string, number>();

export function countStatements(): { counts(): Record<string, number>; reset(): void } {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown; __beckonCounted?: boolean };
  if (!proto.__beckonCounted) {
    const query = proto.query;
    proto.query = function counted(this: { connectionParameters?: { application_name?: string } }, ...args: unknown[]) {
      const name = this.connectionParameters?.application_name || 'other';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return query.apply(this, args);
    };
    proto.__beckonCounted = true;
  }
  return {
    counts: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
  };
}

/** The connection string with an application_name, which Postgres and the counter above both see. */
export function tagged(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', name);
  return url.toString();
}
