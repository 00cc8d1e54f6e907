import { beckonPath, publishBenchCampaign } from './beckon-path';
import { startFloor } from './floor';
import { watchInbox } from './inbox-watch';
import { settle, warmUp } from './latency';
import { startMeter } from './meter';
import { say, type BenchStack } from './stack';
import { median, oneDecimal, pacedLoad, summarise, type Summary } from './stats';
import { tagged } from './statements';

export interface CapacityOptions {
  /** Trigger rates stepped through, per second, lowest first. */
  rates: number[];
  stepSeconds: number;
  /** Users (and floor workflows) the load is spread over, each triggered at most once at a time. */
  users: number;
  /** A step whose p99 passes this is past capacity. */
  p99LimitMs: number;
}

export interface CapacityStep {
  rate: number;
  summary: Summary;
  errors: number;
  /** Calls in flight (sent, not yet committed): median over the first and over the last third of the step's arrivals. */
  inFlightEarly: number;
  inFlightLate: number;
  /** Median ms of the samples sent in the first and in the last third of the step. */
  lagEarly: number;
  lagLate: number;
  steady: boolean;
  /** CPU ms per call of the step by process (the Node processes, the Temporal server, Postgres). */
  cpuMsPerCall: Record<string, number>;
  /** Why the step is not steady. */
  why?: string;
}

export interface CapacityPath {
  steps: CapacityStep[];
  /** The highest rate of the steady steps below the first that is not; 0 when the first fails. */
  highestSteady: number;
}

export interface CapacityReport {
  options: CapacityOptions;
  floor: CapacityPath;
  beckon: CapacityPath;
}

/**
 * Why a step is past capacity, or undefined: errors, a p99 past the limit, or a backlog that grows
 * (more in flight, or slower samples, at the step's end than at its start: arrivals outrun completions).
 */
export function pastCapacity(step: Omit<CapacityStep, 'steady' | 'why' | 'cpuMsPerCall'>, p99LimitMs: number): string | undefined {
  if (step.errors > 0) return `${step.errors} errors`;
  if (step.summary.p99 > p99LimitMs) return `p99 ${step.summary.p99} ms > ${p99LimitMs}`;
  if (step.inFlightLate > 2 * step.inFlightEarly + 2) return `in flight rose ${step.inFlightEarly} -> ${step.inFlightLate}`;
  if (step.lagLate > 2 * step.lagEarly + 20) return `lag rose ${step.lagEarly} -> ${step.lagLate} ms`;
  return undefined;
}

/**
 * Steps an open-loop load up through `rates` (each for `stepSeconds`, the next straight after) and
 * stops at the first step past capacity. `work(i)` sends call i and resolves with its ms.
 */
async function stepUp(label: string, options: CapacityOptions, stack: BenchStack, work: (i: number) => Promise<number>): Promise<CapacityPath> {
  const steps: CapacityStep[] = [];
  let sent = 0;
  for (const rate of options.rates) {
    const total = Math.max(1, Math.round(rate * options.stepSeconds));
    const arrivalMs = (total * 1000) / rate;
    let inFlight = 0;
    const inFlightAt: { at: number; n: number }[] = [];
    const byIndex: number[] = [];
    const started = performance.now();
    const watcher = setInterval(() => inFlightAt.push({ at: performance.now() - started, n: inFlight }), 100);
    const first = sent;
    const meter = startMeter(stack);
    const result = await pacedLoad(`${label}, ${rate}/s`, total, rate, async (i) => {
      inFlight += 1;
      try {
        return (byIndex[i] = await work(first + i));
      } finally {
        inFlight -= 1;
      }
    });
    clearInterval(watcher);
    const { cpuMsPerEvent: cpuMsPerCall } = meter.read(total);
    sent += total;
    const third = (from: number, to: number) => inFlightAt.filter((s) => s.at >= from * arrivalMs && s.at < to * arrivalMs).map((s) => s.n);
    const lag = (from: number, to: number) => byIndex.slice(Math.floor(from * total), Math.ceil(to * total)).filter((ms) => ms !== undefined);
    const measured = {
      rate,
      summary: summarise(result.samples, result.elapsedMs),
      errors: result.errors,
      inFlightEarly: oneDecimal(median(third(0, 1 / 3))),
      inFlightLate: oneDecimal(median(third(2 / 3, 1))),
      lagEarly: oneDecimal(median(lag(0, 1 / 3))),
      lagLate: oneDecimal(median(lag(2 / 3, 1))),
    };
    const why = pastCapacity(measured, options.p99LimitMs);
    steps.push({ ...measured, steady: why === undefined, cpuMsPerCall, ...(why && { why }) });
    say(`${label}, ${rate}/s: p50 ${measured.summary.p50} p99 ${measured.summary.p99} ms, in flight ${measured.inFlightEarly} -> ${measured.inFlightLate}${why ? `: past capacity (${why})` : ''}`);
    if (why) break;
  }
  const firstPast = steps.findIndex((s) => !s.steady);
  const steady = firstPast < 0 ? steps : steps.slice(0, firstPast);
  return { steps, highestSteady: steady.at(-1)?.rate ?? 0 };
}

/**
 * The highest trigger rate Beckon holds steady (API to the first in-app message committed), beside
 * the floor's (one signal, one no-op activity) on the same server, stepped the same way.
 */
export async function runCapacity(stack: BenchStack, runId: string, options: CapacityOptions): Promise<CapacityReport> {
  await publishBenchCampaign(stack);
  const inbox = await watchInbox(tagged(stack.config.DATABASE_URL!, 'bench-listen'));
  const floor = await startFloor(stack, `cap-${runId}`);
  const path = beckonPath(stack, inbox);
  const user = (key: string) => `bench-${runId}-${key}`;
  const keys = Array.from({ length: options.users }, (_, i) => `C${i}`);
  const keyOf = (i: number) => keys[i % keys.length]!;
  try {
    await warmUp(path, floor, user, keys, runId);
    const floorPath = await stepUp('floor', options, stack, (i) => floor.ping(keyOf(i), `${runId}-cf-${i}`));
    await settle();
    const beckon = await stepUp('beckon', options, stack, async (i) => (await path.trigger(user(keyOf(i)), `${runId}-cb-${i}`)).committedMs);
    return { options, floor: floorPath, beckon };
  } finally {
    await floor.stop();
    await inbox.stop();
  }
}
