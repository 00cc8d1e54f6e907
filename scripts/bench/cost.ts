import type { temporal } from '@temporalio/proto';
import { journeyWorkflowId, userWorkflowId } from '../../src/workflows/messages';
import { beckonPath, BENCH_CAMPAIGN, countEvents, HistoryType, lastIndexOf, publishBenchCampaign, WARM_EVENT } from './beckon-path';
import { cloudActions } from './cloud-actions';
import { derivePayloadKey, EncryptionCodec } from '../../src/temporal/payload-codec';
import { codecCpuPerPayload, codecPer } from './codec-meter';
import { startFloor } from './floor';
import { startMeter, type Metered } from './meter';
import { watchInbox } from './inbox-watch';
import { say, type BenchStack } from './stack';
import { tagged } from './statements';
import { timedLoad } from './stats';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface CostRow extends Metered {
  event: string;
  historyEvents: number;
  workflowTasks: number;
  activities: number;
  /** Markers: a local activity's result or a patch. */
  markers: number;
  /** Temporal Cloud's billable actions, from the histories (scripts/bench/cloud-actions.ts). */
  cloudActions: number;
  /** The payload codec's work per event, the API's side and the worker's (only when they run in the bench's process). */
  codec?: {
    api: ReturnType<typeof codecPer>;
    worker: ReturnType<typeof codecPer>;
    /** CPU ms of the crypto alone per payload of this row's mean size, encode + decode, from a loop of its own. */
    cpuMsPerPayload: { bytes: number; encodeMs: number; decodeMs: number };
    /** Those ms times the payloads the API and the worker encoded and decoded per event. */
    estimatedCpuMs: { api: number; worker: number };
  };
}

/** What one more event costs a user who already exists, counted over `samples` users, one event each. */
export async function runCost(stack: BenchStack, runId: string, samples: number): Promise<CostRow[]> {
  await publishBenchCampaign(stack);
  const inbox = await watchInbox(tagged(stack.config.DATABASE_URL!, 'bench-listen'));
  const floor = await startFloor(stack, `cost-${runId}`);
  const path = beckonPath(stack, inbox);
  const user = (phase: string, i: number) => `bench-${runId}-${phase}-${i}`;
  const history = async (workflowId: string) => (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  /** Waits until the workflow has taken `signals` signals and is idle: no workflow task scheduled after the last one completed, or ended. */
  const quiet = async (workflowId: string, signals: number): Promise<HistoryEvent[]> => {
    for (let attempt = 0; ; attempt++) {
      // Not found yet: a warm-up call that failed (and was retried below) or a journey not started yet.
      const events = await history(workflowId).catch(() => [] as HistoryEvent[]);
      const idle = lastIndexOf(events, HistoryType.completed) >= 0 || lastIndexOf(events, HistoryType.taskCompleted) > lastIndexOf(events, HistoryType.taskScheduled);
      if (countEvents(events, HistoryType.signaled) >= signals && idle) return events;
      // Two minutes: on a loaded machine a journey's tail can take that long; this counts, it does not time.
      if (attempt > 1200) throw new Error(`${workflowId} did not settle`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  /** History events, workflow tasks and activities from the `nth` signal on (0: the whole history). */
  const tally = (events: HistoryEvent[], nth: number) => {
    const signals = events.flatMap((event, index) => (Number(event.eventType) === HistoryType.signaled ? [index] : []));
    const from = nth === 0 ? 0 : (signals[nth - 1] ?? events.length);
    return {
      events: events.length - from,
      tasks: countEvents(events, HistoryType.taskCompleted, from),
      activities: countEvents(events, HistoryType.activityScheduled, from),
      local: countEvents(events, HistoryType.marker, from),
      actions: cloudActions(events, from),
    };
  };
  const measure = async (event: string, send: (i: number) => Promise<unknown>, count: (i: number) => Promise<ReturnType<typeof tally>[]>): Promise<CostRow> => {
    const meter = startMeter(stack);
    const codecBefore = stack.codecTally && { api: stack.codecTally.api(), worker: stack.codecTally.worker() };
    await timedLoad(`cost: ${event}`, samples, 4, async (i) => void (await send(i)));
    // The tails (a journey's end, its signal to the user) finish before the CPU is read; the counting below reads histories, which costs CPU too.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const metered = meter.read(samples);
    const codec = stack.codecTally && codecBefore && { api: codecPer(codecBefore.api, stack.codecTally.api(), samples), worker: codecPer(codecBefore.worker, stack.codecTally.worker(), samples) };
    const totals = { events: 0, tasks: 0, activities: 0, local: 0, actions: 0 };
    for (let i = 0; i < samples; i++) {
      for (const part of await count(i)) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += part[key];
    }
    const per = (n: number) => Math.round((n / samples) * 100) / 100;
    return {
      event,
      historyEvents: per(totals.events),
      workflowTasks: per(totals.tasks),
      activities: per(totals.activities),
      markers: per(totals.local),
      cloudActions: per(totals.actions),
      ...metered,
      ...(codec && { codec: { ...codec, ...(await codecCpu(codec)) } }),
    };
  };

  /** The crypto's CPU per payload at the row's mean size, after its load (the process is quiet then), and what it comes to per event. */
  const codecCpu = async (codec: { api: ReturnType<typeof codecPer>; worker: ReturnType<typeof codecPer> }) => {
    const payloads = codec.api.encoded + codec.api.decoded + codec.worker.encoded + codec.worker.decoded;
    const bytes = payloads === 0 ? 0 : Math.round(
      (codec.api.encoded * codec.api.bytesPerEncoded + codec.api.decoded * codec.api.bytesPerDecoded
        + codec.worker.encoded * codec.worker.bytesPerEncoded + codec.worker.decoded * codec.worker.bytesPerDecoded) / payloads,
    );
    const cpu = await codecCpuPerPayload(new EncryptionCodec(derivePayloadKey(stack.pseudonymKey)), bytes);
    const side = (s: ReturnType<typeof codecPer>) => Math.round((s.encoded * cpu.encodeMs + s.decoded * cpu.decodeMs) * 100) / 100;
    return { cpuMsPerPayload: { bytes, ...cpu }, estimatedCpuMs: { api: side(codec.api), worker: side(codec.worker) } };
  };

  try {
    const phases = ['quiet', 'trigger', 'floor'];
    const warm = phases.flatMap((phase) => Array.from({ length: samples }, (_, i) => user(phase, i)));
    // Ids of its own: latency and throughput in the same run use `${runId}-warm-${i}`, and a duplicate is not signalled.
    const warmed = await timedLoad('warm-up: users', warm.length, 16, (i) => path.track(warm[i]!, WARM_EVENT, `${runId}-cost-warm-${i}`));
    if (warmed.errors > 0) throw new Error(`${warmed.errors} warm-up calls failed; the counts would be off`);
    await timedLoad('warm-up: floor', samples, 16, async (i) => void (await floor.ping(`c${i}`, `${runId}-fw-${i}`)));
    for (const id of warm) await quiet(userWorkflowId(path.pseudonymOf(id)), 1);
    say('warm-up settled');

    const rows: CostRow[] = [];
    rows.push(
      await measure(
        'an event no campaign listens to',
        (i) => path.track(user('quiet', i), 'Bench Other', `${runId}-quiet-${i}`),
        async (i) => [tally(await quiet(userWorkflowId(path.pseudonymOf(user('quiet', i))), 2), 2)],
      ),
    );
    rows.push(
      await measure(
        'an event that starts a journey with one in-app message',
        (i) => path.trigger(user('trigger', i), `${runId}-trigger-${i}`),
        async (i) => {
          const pseudonym = path.pseudonymOf(user('trigger', i));
          // The journey's end reaches the user workflow as a third signal.
          const journey = await quiet(journeyWorkflowId(BENCH_CAMPAIGN, pseudonym, 1), 0);
          return [tally(await quiet(userWorkflowId(pseudonym), 3), 2), { ...tally(journey, 0) }];
        },
      ),
    );
    rows.push(
      await measure(
        'floor: a signal and one no-op activity',
        (i) => floor.ping(`c${i}`, `${runId}-fp-${i}`),
        async (i) => [tally(await quiet(floor.workflowId(`c${i}`), 2), 2)],
      ),
    );
    return rows;
  } finally {
    await floor.stop();
    await inbox.stop();
  }
}
