/**
 * Remembers the catalog revision for `ttlMs`, so the API reads it at most once a second however
 * many events arrive; a publish reaches user workflows within that time. Concurrent callers share one read.
 */
export function cachedRevision(read: () => Promise<number>, ttlMs = 1000, now: () => number = Date.now): () => Promise<number> {
  let value: number | undefined;
  let readAt = -Infinity;
  let inFlight: Promise<number> | undefined;
  return async () => {
    if (value !== undefined && now() - readAt < ttlMs) return value;
    inFlight ??= read()
      .then((revision) => {
        value = revision;
        readAt = now();
        return revision;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
