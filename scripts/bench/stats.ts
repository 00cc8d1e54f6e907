/** Latency samples in milliseconds, summarised the way the benchmarks report them. */
export interface Summary {
  count: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarise(samplesMs: readonly number[], elapsedMs: number): Summary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    perSecond: round((sorted.length / elapsedMs) * 1000),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/**
 * Runs `work(i)` for i in [0, total) with at most `concurrency` in flight, timing each call,
 * and prints progress to stderr about once a second.
 */
export async function timedLoad(
  label: string,
  total: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<{ samples: number[]; elapsedMs: number; errors: number }> {
  const samples: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`[bench] ${label}: ${samples.length}/${total} in ${seconds.toFixed(0)} s\n`);
  }, 1000);
  const runner = async () => {
    for (let i = next++; i < total; i = next++) {
      const t0 = performance.now();
      try {
        await work(i);
        samples.push(performance.now() - t0);
      } catch (err) {
        errors += 1;
        if (errors <= 3) process.stderr.write(`[bench] ${label}: call ${i} failed: ${(err as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
  clearInterval(progress);
  return { samples, elapsedMs: performance.now() - started, errors };
}
