import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { oneDecimal as round } from './stats';

export interface GcPauses {
  count: number;
  totalMs: number;
  longestMs: number;
  /** How many of the pauses were major (mark-compact) collections. */
  major: number;
}

export interface GcWatch {
  /** Milliseconds of garbage collection on this thread that overlapped [fromMs, toMs) of `performance.now()`. */
  overlapping(fromMs: number, toMs: number): number;
  stop(): GcPauses;
}


/**
 * Records this thread's garbage-collection pauses (the API, the activities and the SDK's main
 * thread; workflow code runs in the SDK's own worker thread, whose pauses are not seen here).
 */
export function watchGc(): GcWatch {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    overlapping(fromMs, toMs) {
      let ms = 0;
      for (const entry of entries) ms += Math.max(0, Math.min(toMs, entry.startTime + entry.duration) - Math.max(fromMs, entry.startTime));
      return ms;
    },
    stop() {
      observer.disconnect();
      const kinds = entries.map((entry) => (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind);
      return {
        count: entries.length,
        totalMs: round(entries.reduce((sum, entry) => sum + entry.duration, 0)),
        longestMs: round(Math.max(0, ...entries.map((entry) => entry.duration))),
        major: kinds.filter((kind) => kind === constants.NODE_PERFORMANCE_GC_MAJOR).length,
      };
    },
  };
}
