import { loadavg } from 'node:os';
import { temporal } from '@temporalio/proto';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { beckonPath, catalogRevisionOf, publishBenchCampaign, signalRaw, WARM_EVENT } from './beckon-path';
import { watchInbox } from './inbox-watch';
import { beckonStages, type BeckonStages, type TriggerSample } from './stages';
import { inProcessWorker, rssOf, say, type BenchStack } from './stack';
import { tagged } from './statements';
import { oneDecimal, pacedLoad, summarise, timedLoad, type Summary } from './stats';

export interface ScaleOptions {
  sizes: number[];
  /** Trigger events timed at each size, arriving at `rate` per second. */
  samples: number;
  rate: number;
  /** Events one user sends for the history check (0 skips it). */
  oneUserEvents: number;
  /** Seconds to wait after the worker has gone idle before a size is timed: the server works on after the worker is done. */
  settleSeconds: number;
}

export interface ScaleRow {
  users: number;
  populateSeconds: number;
  latency: Summary;
  errors: number;
  cachedWorkflows: number;
  nodeRssMb: number;
  nodeHeapMb: number;
  serverRssMb: number | undefined;
  /** The machine's 1-minute load average when the size was measured: the bench shares its cores. */
  loadAverage: number;
  /** Where the triggers' time went at this size, from their histories. */
  stages: BeckonStages;
}

export interface OneUserReport {
  events: number;
  /** 503s the client retried (Temporal's per-workflow limit under a burst on one workflow). */
  retries: number;
  eventsPerSecond: number;
  stateTotal: number;
  runs: number;
  longestRunEvents: number;
  largestRunBytes: number;
}

const mb = (bytes: number | undefined) => (bytes === undefined ? undefined : Math.round(bytes / 1024 / 1024));

/**
 * Latency per event and memory as the number of user workflows grows. Users are added with raw
 * signalWithStart (a workflow each, waiting for events) and a profile row; at each size, trigger
 * events go through the API to users picked across the whole population, and the worker's cache,
 * this process's memory and the server's memory are read.
 */
export async function runScale(stack: BenchStack, runId: string, options: ScaleOptions): Promise<{ rows: ScaleRow[]; oneUser?: OneUserReport }> {
  await publishBenchCampaign(stack);
  const inbox = await watchInbox(tagged(stack.config.DATABASE_URL!, 'bench-listen'));
  const path = beckonPath(stack, inbox);
  const user = (i: number) => `bench-${runId}-u${i}`;
  const rows: ScaleRow[] = [];
  let population = 0;
  let triggered = 0;
  try {
    // First, so that its figure is in even when the largest size is cut short.
    const oneUser = options.oneUserEvents > 0 ? await runOneUser(stack, runId, options.oneUserEvents) : undefined;
    // The code paths warm before the first size is timed.
    await timedLoad('warm-up: triggers', 50, 2, async (i) => {
      await path.track(`bench-${runId}-w${i}`, WARM_EVENT, `${runId}-w-${i}`);
      await path.trigger(`bench-${runId}-w${i}`, `${runId}-w2-${i}`);
    });
    for (const size of [...options.sizes].sort((a, b) => a - b)) {
      const from = population;
      const started = performance.now();
      await populate(stack, from, size, user, path.pseudonymOf, runId);
      population = size;
      const populateSeconds = Math.round((performance.now() - started) / 100) / 10;
      await idle(stack);
      if (options.settleSeconds > 0) await new Promise((resolve) => setTimeout(resolve, options.settleSeconds * 1000));
      // Spread over the population, each user at most once per size: most are not in the worker's cache.
      const stride = Math.max(1, Math.floor(size / options.samples));
      const sent: TriggerSample[] = [];
      const result = await pacedLoad(`latency at ${size} users`, options.samples, options.rate, async (i) => {
        const userId = user((i * stride + triggered) % size);
        const sample = await path.trigger(userId, `${runId}-t${size}-${i}`);
        sent.push({ pseudonym: path.pseudonymOf(userId), ...sample });
        return sample.committedMs;
      });
      triggered += 1;
      const status = inProcessWorker(stack).worker.getStatus();
      const memory = process.memoryUsage();
      const row: ScaleRow = {
        users: size,
        populateSeconds,
        latency: summarise(result.samples, result.elapsedMs),
        errors: result.errors,
        cachedWorkflows: status.numCachedWorkflows,
        nodeRssMb: mb(memory.rss)!,
        nodeHeapMb: mb(memory.heapUsed)!,
        serverRssMb: mb(rssOf(stack.serverPid)),
        loadAverage: oneDecimal(loadavg()[0]!),
        stages: await beckonStages(stack, sent, sent.length),
      };
      if (oneUser) say(`one user: ${oneUser.events} events, ${oneUser.runs} runs, the longest ${oneUser.longestRunEvents} history events`);
      say(`${size} users: p50 ${row.latency.p50} ms, p99 ${row.latency.p99} ms, ${row.cachedWorkflows} cached, node ${row.nodeRssMb} MB, server ${row.serverRssMb ?? '?'} MB`);
      say(`${size} users: user task waits ${row.stages.medians['2 user workflow task: waits']} ms and runs ${row.stages.medians['3 user workflow task: runs'] ?? row.stages.medians['3 user workflow task: runs to the journey started']} ms (median); ${row.stages.stickyUserTasks} of ${row.stages.measured} on the sticky queue`);
      rows.push(row);
    }
    return { rows, ...(oneUser && { oneUser }) };
  } finally {
    await inbox.stop();
  }
}

/** Users [from, to): their profile rows in bulk, then one event each by raw signalWithStart. */
async function populate(stack: BenchStack, from: number, to: number, user: (i: number) => string, pseudonymOf: (userId: string) => string, runId: string) {
  const ids = Array.from({ length: to - from }, (_, k) => user(from + k));
  for (let k = 0; k < ids.length; k += 5000) {
    const chunk = ids.slice(k, k + 5000);
    await stack.pool.query('INSERT INTO users (pseudonym, user_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [chunk.map(pseudonymOf), chunk]);
  }
  const catalogRevision = await catalogRevisionOf(stack);
  await timedLoad(`users ${from}..${to}`, ids.length, 32, (k) => signalRaw(stack, pseudonymOf(ids[k]!), `${runId}-pop-${from + k}`, WARM_EVENT, {}, catalogRevision));
}

/** Waits until the worker has had nothing in flight for 3 s in a row: the backlog of first workflow tasks is done. */
async function idle(stack: BenchStack): Promise<void> {
  let quietSince = performance.now();
  for (;;) {
    const status = inProcessWorker(stack).worker.getStatus();
    if (status.numInFlightWorkflowActivations > 0 || status.numInFlightActivities > 0) quietSince = performance.now();
    else if (performance.now() - quietSince > 3000) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One user sends `events` events through the API; every run of the user's workflow is walked and measured. */
async function runOneUser(stack: BenchStack, runId: string, events: number): Promise<OneUserReport> {
  const path = beckonPath(stack);
  const userId = `bench-${runId}-busy`;
  // A client's retry of a 503 (the same messageId, after Retry-After), as the Segment libraries do: one workflow takes one signal at a time.
  let retries = 0;
  const send = async (i: number, attempt = 0): Promise<void> => {
    try {
      await path.track(userId, i % 2 ? 'Bench Other' : WARM_EVENT, `${runId}-busy-${i}`);
    } catch (err) {
      if (attempt >= 5 || !/answered 503/.test((err as Error).message)) throw err;
      retries += 1;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await send(i, attempt + 1);
    }
  };
  const result = await timedLoad(`one user: ${events} events`, events, 4, (i) => send(i));
  const workflowId = userWorkflowId(path.pseudonymOf(userId));
  const handle = stack.temporal.workflow.getHandle(workflowId);
  let stateTotal = 0;
  for (let attempt = 0; attempt < 600 && stateTotal < events - result.errors; attempt++) {
    stateTotal = (await handle.query(stateQuery)).state.totalEvents;
    if (stateTotal < events - result.errors) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  say('walking the runs of the busy user');
  let runs = 0;
  let longestRunEvents = 0;
  let largestRunBytes = 0;
  for (let runId: string | undefined = (await handle.describe()).runId; runId; runs++) {
    const history: temporal.api.history.v1.IHistory = await stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    const list: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    longestRunEvents = Math.max(longestRunEvents, list.length);
    largestRunBytes = Math.max(largestRunBytes, temporal.api.history.v1.History.encode(history).finish().length);
    runId = list[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return { events: events - result.errors, retries, eventsPerSecond: Math.round((events / result.elapsedMs) * 10000) / 10, stateTotal, runs, longestRunEvents, largestRunBytes };
}
