/**
 * Runs `task` every `intervalMs` in the background; a round that is still running when the next
 * is due skips that one, so rounds never overlap. A failed round is handed to `onError` and the
 * next one runs as usual. The returned function stops the timer and waits for a round in flight.
 */
export function runPeriodically(intervalMs: number, task: () => Promise<unknown>, onError: (err: Error) => void): () => Promise<void> {
  let current: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (current) return;
    current = task()
      .then(
        () => undefined,
        (err: Error) => onError(err),
      )
      .finally(() => (current = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
