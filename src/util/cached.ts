/**
 * Remembers what `read` answered for `ttlMs`, so a value read on every call (the catalog revision
 * per event, the delivery policy per send) costs one query a second however many calls come.
 * Concurrent callers share one read; a failed read is not remembered.
 */
export function cachedFor<T>(read: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let cached: { value: T; readAt: number } | undefined;
  let inFlight: Promise<T> | undefined;
  return async () => {
    if (cached && now() - cached.readAt < ttlMs) return cached.value;
    inFlight ??= read()
      .then((value) => {
        cached = { value, readAt: now() };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
