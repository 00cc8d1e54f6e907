/**
 * Group commit: `add(item)` resolves once `flush` has written the item. When nothing is being
 * written, an item is flushed at once (no added wait); items added while a flush is in flight are
 * written together by the next one, so under load one statement carries many items. A failed flush
 * rejects exactly the callers whose items it carried.
 */
export function groupCommit<T>(flush: (items: T[]) => Promise<void>, maxBatch = 500): (item: T) => Promise<void> {
  let queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;
  const drain = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      try {
        await flush(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve();
      } catch (err) {
        for (const entry of batch) entry.reject(err);
      }
    }
    flushing = false;
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!flushing) void drain();
    });
}
