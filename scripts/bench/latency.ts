import { beckonPath, eventMs, findEvent, HistoryType, publishBenchCampaign, WARM_EVENT, type BeckonPath } from './beckon-path';
import { startFloor, type Floor } from './floor';
import { watchInbox } from './inbox-watch';
import { watchGc, type GcPauses, type GcWatch } from './gc-watch';
import { addStage, beckonStages, stageMedians, type BeckonStages } from './stages';
import { scrapeSdkMetrics, sdkFiguresBetween, type SdkFigures } from './sdk-metrics';
import { say, type BenchStack } from './stack';
import { median, oneDecimal, pacedLoad, summarise, timedLoad, type LoadResult, type LoadWork, type Summary } from './stats';
import { tagged } from './statements';

export interface LatencyOptions {
  /** Samples at light load. */
  light: number;
  /** Their arrivals per second, far apart enough that each finds the system idle; 0: back to back, the next sent when the last one commits. */
  lightRate: number;
  /** Samples at heavy load, arriving at `rate` per second whatever the responses do. */
  heavy: number;
  rate: number;
  /** Users the heavy load is spread over. */
  users: number;
}

export interface LatencyReport {
  options: LatencyOptions;
  rows: { load: string; path: string; summary: Summary; errors: number }[];
  /** API answer (not the commit) at each load, for Beckon. */
  answered: Record<string, Summary>;
  /** Median ms of each stage of the light samples, from the server's history event times. */
  stages: { beckon: BeckonStages; floor: Record<string, number> };
  /** This process's main-thread garbage collection during Beckon's light samples, and how much of it fell inside them. */
  gcLight: GcPauses & { medianInSampleMs: number; medianInSlowestMs: number };
  /** The SDK's own metrics for Beckon's task queue over Beckon's light and heavy phases. */
  sdk: { light: SdkFigures; heavy: SdkFigures };
}

/**
 * From the API accepting an event to the first in-app message committed, against the floor (a
 * bare workflow: one signal, one no-op activity) on the same server, at a light and a heavy load.
 * Beckon's samples are taken from the request's start to the inbox NOTIFY (sent on commit).
 */
export async function runLatency(stack: BenchStack, runId: string, options: LatencyOptions): Promise<LatencyReport> {
  await publishBenchCampaign(stack);
  const inbox = await watchInbox(tagged(stack.config.DATABASE_URL!, 'bench-listen'));
  const floor = await startFloor(stack, runId);
  const path = beckonPath(stack, inbox);
  const user = (key: string) => `bench-${runId}-${key}`;
  try {
    const lightKeys = Array.from({ length: options.light }, (_, i) => `L${i}`);
    const heavyKeys = Array.from({ length: options.users }, (_, i) => `H${i}`);
    await warmUp(path, floor, user, [...lightKeys, ...heavyKeys], runId);

    const lightLoad = (label: string, work: LoadWork) => (options.lightRate > 0 ? pacedLoad(label, options.light, options.lightRate, work) : timedLoad(label, options.light, 1, work));
    const floorLightMs: number[] = [];
    const floorLight = await lightLoad('floor, light', async (i) => (floorLightMs[i] = await floor.ping(lightKeys[i]!, `${runId}-fl-${i}`)));
    const sent: { sentAt: number; committedMs: number }[] = [];
    const answeredLight: number[] = [];
    const sdkMetrics = () => scrapeSdkMetrics(stack.sdkMetricsUrl, stack.config.TEMPORAL_TASK_QUEUE);
    const beforeLight = await sdkMetrics();
    const gc = watchGc();
    const beckonLight = await lightLoad('beckon, light', async (i) => {
      const sample = await path.trigger(user(lightKeys[i]!), `${runId}-bl-${i}`);
      sent[i] = sample;
      answeredLight.push(sample.answeredMs);
      return sample.committedMs;
    });
    const gcLight = gcDuring(gc, sent);
    const afterLight = await sdkMetrics();
    await settle();
    const heavyKey = (i: number) => heavyKeys[i % heavyKeys.length]!;
    const floorHeavy = await pacedLoad(`floor, ${options.rate}/s`, options.heavy, options.rate, (i) => floor.ping(heavyKey(i), `${runId}-fh-${i}`));
    await settle();
    const answeredHeavy: number[] = [];
    const beforeHeavy = await sdkMetrics();
    const beckonHeavy = await pacedLoad(`beckon, ${options.rate}/s`, options.heavy, options.rate, async (i) => {
      const sample = await path.trigger(user(heavyKey(i)), `${runId}-bh-${i}`);
      answeredHeavy.push(sample.answeredMs);
      return sample.committedMs;
    });

    const sdk = { light: sdkFiguresBetween(beforeLight, afterLight), heavy: sdkFiguresBetween(beforeHeavy, await sdkMetrics()) };
    say('reading histories for the stage breakdown');
    const stages = {
      beckon: await beckonStages(stack, lightKeys.map((key, i) => ({ pseudonym: path.pseudonymOf(user(key)), ...sent[i]! })).filter((s) => s.sentAt), options.light),
      floor: await floorStages(stack, floor.workflowId, lightKeys, floorLightMs),
    };
    const light = options.lightRate > 0 ? `light (${options.lightRate}/s)` : 'light (back to back)';
    const row = (load: string, name: string, result: LoadResult) => ({ load, path: name, summary: summarise(result.samples, result.elapsedMs), errors: result.errors });
    return {
      options,
      rows: [
        row(light, 'floor: signal + no-op activity', floorLight),
        row(light, 'Beckon: API to in-app commit', beckonLight),
        row(`heavy (${options.rate}/s)`, 'floor: signal + no-op activity', floorHeavy),
        row(`heavy (${options.rate}/s)`, 'Beckon: API to in-app commit', beckonHeavy),
      ],
      answered: { light: summarise(answeredLight, beckonLight.elapsedMs), heavy: summarise(answeredHeavy, beckonHeavy.elapsedMs) },
      stages,
      gcLight,
      sdk,
    };
  } finally {
    await floor.stop();
    await inbox.stop();
  }
}

/** The pauses while `sent` ran, and the median ms of them inside a sample: over all samples, and over the slowest 5%. */
function gcDuring(gc: GcWatch, sent: { sentAt: number; committedMs: number }[]): LatencyReport['gcLight'] {
  const pauses = gc.stop();
  const inSample = sent
    .filter(Boolean)
    .sort((a, b) => b.committedMs - a.committedMs)
    .map(({ sentAt, committedMs }) => gc.overlapping(sentAt - performance.timeOrigin, sentAt - performance.timeOrigin + committedMs));
  const slowest = inSample.slice(0, Math.max(1, Math.ceil(inSample.length * 0.05)));
  return { ...pauses, medianInSampleMs: oneDecimal(median(inSample)), medianInSlowestMs: oneDecimal(median(slowest)) };
}

/**
 * Every user and floor workflow of `keys` exists before it is measured (the steady state, not a
 * user's first event), and the code paths are warm: 50 measured-like calls of each, thrown away.
 */
export async function warmUp(path: BeckonPath, floor: Floor, user: (key: string) => string, measuredKeys: string[], runId: string): Promise<void> {
  const keys = [...measuredKeys, ...Array.from({ length: 50 }, (_, i) => `W${i}`)];
  await timedLoad('warm-up: users', keys.length, 16, (i) => path.track(user(keys[i]!), WARM_EVENT, `${runId}-warm-${i}`));
  await timedLoad('warm-up: floor', keys.length, 16, async (i) => void (await floor.ping(keys[i]!, `${runId}-warm-${i}`)));
  await timedLoad('warm-up: triggers', 50, 2, async (i) => {
    await floor.ping(`W${i}`, `${runId}-w2-${i}`);
    await path.trigger(user(`W${i}`), `${runId}-w2-${i}`);
  });
  await settle();
}

/** Lets the previous phase's tail (journey ends, continue-as-new) drain before the next one is timed. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));

async function floorStages(stack: BenchStack, workflowId: (key: string) => string, keys: string[], samplesMs: number[]): Promise<Record<string, number>> {
  const stages: Record<string, number[]> = {};
  for (const [i, key] of keys.slice(0, 100).entries()) {
    const history = (await stack.temporal.workflow.getHandle(workflowId(key)).fetchHistory()).events ?? [];
    const first = findEvent(history, HistoryType.signaled);
    const signaled = first && findEvent(history, HistoryType.signaled, first.index + 1);
    if (!signaled) continue;
    const taskStarted = findEvent(history, HistoryType.taskStarted, signaled.index);
    const taskCompleted = taskStarted && findEvent(history, HistoryType.taskCompleted, taskStarted.index);
    const activity = findEvent(history, HistoryType.activityStarted, signaled.index);
    addStage(stages, '2 workflow task: waits', eventMs(taskStarted?.event) - eventMs(signaled.event));
    addStage(stages, '3 workflow task: runs', eventMs(taskCompleted?.event) - eventMs(taskStarted?.event));
    addStage(stages, '7 activity: waits', eventMs(activity?.event) - eventMs(taskCompleted?.event));
    addStage(stages, 'total', samplesMs[i] ?? NaN);
  }
  return stageMedians(stages);
}

