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

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** The precision every figure of the benches is printed at. */
export const oneDecimal = (n: number): number => Math.round(n * 10) / 10;

export function summarise(samplesMs: readonly number[], elapsedMs: number): Summary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = oneDecimal;
  return {
    count: sorted.length,
    perSecond: round((sorted.length / elapsedMs) * 1000),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export interface LoadResult {
  samples: number[];
  elapsedMs: number;
  errors: number;
}

/** A call of a load: resolves with its own measure in ms, or with nothing to be timed from its start. */
export type LoadWork = (i: number) => Promise<number | void>;

function progressOf(label: string, total: number, done: () => number, started: number) {
  return setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`[bench] ${label}: ${done()}/${total} in ${seconds.toFixed(0)} s\n`);
  }, 2000);
}

async function measured(label: string, i: number, work: LoadWork, result: LoadResult): Promise<void> {
  const t0 = performance.now();
  try {
    const own = await work(i);
    result.samples.push(typeof own === 'number' ? own : performance.now() - t0);
  } catch (err) {
    result.errors += 1;
    if (result.errors <= 3) process.stderr.write(`[bench] ${label}: call ${i} failed: ${(err as Error).message}\n`);
  }
}

/**
 * Closed loop: runs `work(i)` for i in [0, total) with at most `concurrency` in flight, and prints
 * progress to stderr every 2 s. The rate is whatever the system sustains.
 */
export async function timedLoad(label: string, total: number, concurrency: number, work: LoadWork): Promise<LoadResult> {
  const result: LoadResult = { samples: [], elapsedMs: 0, errors: 0 };
  let next = 0;
  const started = performance.now();
  const progress = progressOf(label, total, () => result.samples.length + result.errors, started);
  const runner = async () => {
    for (let i = next++; i < total; i = next++) await measured(label, i, work, result);
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
  clearInterval(progress);
  result.elapsedMs = performance.now() - started;
  return result;
}

/**
 * Open loop: starts call i at i / ratePerSecond seconds whatever earlier calls are doing, as
 * independent users would, so a slow response does not slow the arrivals (no coordinated omission).
 */
export async function pacedLoad(label: string, total: number, ratePerSecond: number, work: LoadWork): Promise<LoadResult> {
  const result: LoadResult = { samples: [], elapsedMs: 0, errors: 0 };
  const started = performance.now();
  const progress = progressOf(label, total, () => result.samples.length + result.errors, started);
  const calls: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    calls.push(measured(label, i, work, result));
  }
  await Promise.all(calls);
  clearInterval(progress);
  result.elapsedMs = performance.now() - started;
  return result;
}
