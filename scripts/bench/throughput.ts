import { beckonPath, catalogRevisionOf, postJson, signalRaw } from './beckon-path';
import { startMeter, type Metered } from './meter';
import type { BenchStack } from './stack';
import { oneDecimal, summarise, timedLoad, type LoadResult, type Summary } from './stats';

export interface ThroughputOptions {
  events: number;
  users: number;
  concurrency: number;
  /** Also through /v1/batch in batches of this many (0 skips). */
  batch: number;
}

export interface ThroughputPhase extends Metered {
  path: string;
  eventsPerSecond: number;
  /** Per request (a batch is one request). */
  latency: Summary;
  errors: number;
}

/**
 * Sustained events per second through POST /v1/track across many users, against raw
 * signalWithStart calls from a client in this process on the same server, in one run. Each phase
 * sends to its own users (first event of each user, then more). A worker runs throughout.
 */
export async function runThroughput(stack: BenchStack, runId: string, options: ThroughputOptions): Promise<ThroughputPhase[]> {
  const path = beckonPath(stack);
  const userOf = (phase: string, i: number) => `bench-${runId}-${phase}-${i % options.users}`;
  const measure = async (name: string, events: number, run: () => Promise<LoadResult>): Promise<ThroughputPhase> => {
    const meter = startMeter(stack);
    const result = await run();
    return {
      path: name,
      eventsPerSecond: oneDecimal((events / result.elapsedMs) * 1000),
      latency: summarise(result.samples, result.elapsedMs),
      errors: result.errors,
      ...meter.read(events),
    };
  };

  await timedLoad('warm-up', 300, options.concurrency, (i) => path.track(userOf('warm', i), 'Bench Event', `${runId}-warm-${i}`));

  const phases: ThroughputPhase[] = [];
  phases.push(
    await measure('POST /v1/track (API)', options.events, () =>
      timedLoad('POST /v1/track', options.events, options.concurrency, (i) => path.track(userOf('api', i), 'Bench Event', `${runId}-api-${i}`, { i })),
    ),
  );

  const catalogRevision = await catalogRevisionOf(stack);
  phases.push(
    await measure('signalWithStart (raw)', options.events, () =>
      timedLoad('signalWithStart', options.events, options.concurrency, (i) =>
        signalRaw(stack, path.pseudonymOf(userOf('raw', i)), `${runId}-raw-${i}`, 'Bench Event', { i }, catalogRevision),
      ),
    ),
  );

  if (options.batch > 0) {
    const size = options.batch;
    const batches = Math.ceil(options.events / size);
    const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
    phases.push(
      await measure(`POST /v1/batch x${size} (API)`, batches * size, () =>
        timedLoad(`POST /v1/batch x${size}`, batches, Math.max(1, Math.floor(options.concurrency / 4)), async (b) => {
          await postJson(stack.api.url, '/v1/batch', auth, {
            batch: Array.from({ length: size }, (_, k) => ({ type: 'track', userId: userOf('batch', b * size + k), event: 'Bench Event', properties: { k }, messageId: `${runId}-batch-${b}-${k}` })),
          });
        }),
      ),
    );
  }
  return phases;
}
