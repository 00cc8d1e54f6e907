import { Runtime } from '@temporalio/worker';
import { freePort } from '../../test/support/ports';
import { oneDecimal } from './stats';

/** The SDK's own figures the latency bench prints: workflow task waits and runs (ms), and the sticky cache. */
const HISTOGRAMS = [
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_workflow_task_replay_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_activity_execution_latency',
] as const;
const BUCKETS_MS = [1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10_000];
const COUNTERS = ['temporal_sticky_cache_hit', 'temporal_sticky_cache_miss', 'temporal_workflow_task_queue_poll_succeed'] as const;

/** One scrape: per metric (and, for histograms, per bucket bound), the sum over the series of `taskQueue`. */
export interface SdkSnapshot {
  counters: Record<string, number>;
  histograms: Record<string, { count: number; sum: number; buckets: Map<number, number> }>;
}

export interface SdkHistogramFigures {
  count: number;
  meanMs: number;
  /** Upper bounds of the buckets holding the 50th and 99th percentiles. */
  p50Ms: number;
  p99Ms: number;
}

export interface SdkFigures {
  histograms: Record<string, SdkHistogramFigures>;
  counters: Record<string, number>;
}

/**
 * Serves the SDK runtime's Prometheus metrics on a free port. Must run before this process makes
 * any native connection or worker: the runtime's telemetry is fixed when it is first used.
 */
export async function installSdkMetrics(): Promise<string> {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  // Finer buckets than the SDK's defaults (1, 10, 100, 500 ms...), so the percentiles say something at these latencies.
  const histogramBucketOverrides = Object.fromEntries(HISTOGRAMS.map((name) => [name.replace(/^temporal_/, ''), BUCKETS_MS]));
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress, histogramBucketOverrides } } } });
  return `http://${bindAddress}/metrics`;
}

const SERIES = /^([a-z_]+)\{([^}]*)\} ([0-9.eE+-]+|\+Inf|NaN)$/;

/** Parses the exporter's text for the series of one task queue (the floor's worker shares the runtime). */
export function parseSdkMetrics(text: string, taskQueue: string): SdkSnapshot {
  const snapshot: SdkSnapshot = { counters: {}, histograms: {} };
  for (const line of text.split('\n')) {
    const match = SERIES.exec(line);
    if (!match) continue;
    const [, name, labels, raw] = match as unknown as [string, string, string, string];
    const queue = /task_queue="([^"]*)"/.exec(labels)?.[1];
    if (queue !== undefined && queue !== taskQueue) continue;
    const value = Number(raw);
    const counter = COUNTERS.find((c) => name === c || name === `${c}_total`);
    if (counter) snapshot.counters[counter] = (snapshot.counters[counter] ?? 0) + value;
    const histogram = HISTOGRAMS.find((h) => name.startsWith(h));
    if (!histogram) continue;
    const entry = (snapshot.histograms[histogram] ??= { count: 0, sum: 0, buckets: new Map() });
    const suffix = name.slice(histogram.length);
    if (suffix.endsWith('_count')) entry.count += value;
    else if (suffix.endsWith('_sum')) entry.sum += value;
    else if (suffix.endsWith('_bucket')) {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      const bound = le === '+Inf' ? Infinity : Number(le);
      entry.buckets.set(bound, (entry.buckets.get(bound) ?? 0) + value);
    }
  }
  return snapshot;
}

export async function scrapeSdkMetrics(url: string, taskQueue: string): Promise<SdkSnapshot> {
  const response = await fetch(url);
  return parseSdkMetrics(await response.text(), taskQueue);
}

/** What happened between two scrapes: counts, means and bucketed percentiles of each histogram. */
export function sdkFiguresBetween(before: SdkSnapshot, after: SdkSnapshot): SdkFigures {
  const histograms: Record<string, SdkHistogramFigures> = {};
  for (const [name, now] of Object.entries(after.histograms)) {
    const then = before.histograms[name];
    const count = now.count - (then?.count ?? 0);
    if (count <= 0) continue;
    const bounds = [...now.buckets.keys()].sort((a, b) => a - b);
    const cumulative = bounds.map((bound) => [bound, now.buckets.get(bound)! - (then?.buckets.get(bound) ?? 0)] as const);
    const at = (q: number) => cumulative.find(([, n]) => n >= q * count)?.[0] ?? NaN;
    histograms[name] = { count, meanMs: oneDecimal((now.sum - (then?.sum ?? 0)) / count), p50Ms: at(0.5), p99Ms: at(0.99) };
  }
  const counters = Object.fromEntries(Object.entries(after.counters).map(([name, n]) => [name, n - (before.counters[name] ?? 0)]));
  return { histograms, counters };
}
