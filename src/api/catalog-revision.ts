import { cachedFor } from '../util/cached';

/**
 * The catalog revision, read at most once a second however many events arrive; a publish reaches
 * user workflows within that time.
 */
export function cachedRevision(read: () => Promise<number>, ttlMs = 1000, now: () => number = Date.now): () => Promise<number> {
  return cachedFor(read, ttlMs, now);
}
