import { temporal } from '@temporalio/proto';
import { journeyWorkflowId, userWorkflowId } from '../../src/workflows/messages';
import { BENCH_CAMPAIGN, eventMs, findEvent, HistoryType } from './beckon-path';
import type { BenchStack } from './stack';
import { median, oneDecimal } from './stats';

type StageSamples = Record<string, number[]>;

/** Adds one sample's ms to a stage; a stage the history did not reach is left out, not counted as 0. */
export function addStage(stages: StageSamples, name: string, ms: number): void {
  if (Number.isFinite(ms)) (stages[name] ??= []).push(ms);
}

export const stageMedians = (stages: StageSamples): Record<string, number> => Object.fromEntries(Object.entries(stages).map(([name, values]) => [name, oneDecimal(median(values))]));

export interface TriggerSample {
  pseudonym: string;
  /** Wall-clock ms when the request was sent: the trigger is the user's first signal at or after it. */
  sentAt: number;
  committedMs: number;
}

export interface BeckonStages {
  /** Median ms of each stage. */
  medians: Record<string, number>;
  /** Median ms of each stage over the slowest 5% of the samples (by total): where the tail's time goes. */
  slowest: Record<string, number>;
  /** Samples whose histories were read. */
  measured: number;
  /** Of those, the user workflow tasks the server put on the worker's sticky queue (it believed the worker held the workflow). */
  stickyUserTasks: number;
}

const STICKY = Number(temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY);
// The server's event times and this process's clock are the same machine's; a millisecond of slack for rounding.
const CLOCK_SLACK_MS = 1;

/**
 * Where each trigger's time went, from the server's event times on the user's and the journey's
 * histories: the API, the user workflow task (waiting and running), the journey's start, its first
 * task, and the send activity up to the inbox commit. At most `limit` samples are read.
 */
export async function beckonStages(stack: BenchStack, samples: TriggerSample[], limit = 100): Promise<BeckonStages> {
  const perSample: Record<string, number>[] = [];
  let stickyUserTasks = 0;
  const historyOf = async (workflowId: string) => (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  for (const sample of samples.slice(0, limit)) {
    const userHistory = await historyOf(userWorkflowId(sample.pseudonym));
    const signaledAt = userHistory.findIndex((event) => Number(event.eventType) === HistoryType.signaled && eventMs(event) >= sample.sentAt - CLOCK_SLACK_MS);
    if (signaledAt < 0) continue;
    const signaled = userHistory[signaledAt]!;
    const taskScheduled = findEvent(userHistory, HistoryType.taskScheduled, signaledAt);
    const taskStarted = findEvent(userHistory, HistoryType.taskStarted, signaledAt);
    const taskCompleted = taskStarted && findEvent(userHistory, HistoryType.taskCompleted, taskStarted.index);
    const child = taskCompleted && findEvent(userHistory, HistoryType.childInitiated, taskCompleted.index);
    const childId = child?.event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    // Shape 2 starts the journey from a local activity inside the user's task: no child event names it.
    const journey = childId ? await historyOf(childId) : await journeyStartedAfter(sample.pseudonym, eventMs(signaled));
    if (!journey) continue;
    const journeyStarted = findEvent(journey, HistoryType.started);
    const journeyTask = findEvent(journey, HistoryType.taskStarted);
    const journeyTaskDone = journeyTask && findEvent(journey, HistoryType.taskCompleted, journeyTask.index);
    const activity = findEvent(journey, HistoryType.activityStarted);
    const committed = sample.sentAt + sample.committedMs;
    const stages: Record<string, number> = {};
    perSample.push(stages);
    if (Number(taskScheduled?.event.workflowTaskScheduledEventAttributes?.taskQueue?.kind) === STICKY) stickyUserTasks += 1;
    stage(stages, '1 API: request to signal in history', eventMs(signaled) - sample.sentAt);
    stage(stages, '2 user workflow task: waits', eventMs(taskStarted?.event) - eventMs(signaled));
    if (childId) {
      stage(stages, '3 user workflow task: runs', eventMs(taskCompleted?.event) - eventMs(taskStarted?.event));
      stage(stages, '4 server starts the journey', eventMs(journeyStarted?.event) - eventMs(taskCompleted?.event));
    } else {
      // The journey's start is the user task's local activity: stage 3 runs until the server has started it.
      stage(stages, '3 user workflow task: runs to the journey started', eventMs(journeyStarted?.event) - eventMs(taskStarted?.event));
    }
    stage(stages, '5 journey task: waits', eventMs(journeyTask?.event) - eventMs(journeyStarted?.event));
    if (activity) {
      stage(stages, '6 journey task: runs', eventMs(journeyTaskDone?.event) - eventMs(journeyTask?.event));
      stage(stages, '7 send activity: waits', eventMs(activity.event) - eventMs(journeyTaskDone?.event));
      stage(stages, '8 send activity: runs to commit', committed - eventMs(activity.event));
    } else {
      // Shape 2 sends an in-app message from a local activity in the journey's first task.
      stage(stages, '6 journey task: runs to the inbox commit (local send)', committed - eventMs(journeyTask?.event));
    }
    stage(stages, 'total', sample.committedMs);
  }
  /** The user's first bench journey started at or after `sinceMs` (entries are numbered from 1). */
  async function journeyStartedAfter(pseudonym: string, sinceMs: number) {
    for (let entry = 1; entry <= 50; entry++) {
      const events = await historyOf(journeyWorkflowId(BENCH_CAMPAIGN, pseudonym, entry)).catch(() => undefined);
      if (!events) return undefined;
      if (eventMs(findEvent(events, HistoryType.started)?.event) >= sinceMs - CLOCK_SLACK_MS) return events;
    }
    return undefined;
  }
  const slowest = [...perSample].sort((a, b) => b.total! - a.total!).slice(0, Math.max(1, Math.ceil(perSample.length * 0.05)));
  return { medians: stageMedians(merged(perSample)), slowest: stageMedians(merged(slowest)), measured: perSample.length, stickyUserTasks };
}

/** One sample's stage; a stage its history did not reach is left out. */
function stage(stages: Record<string, number>, name: string, ms: number): void {
  if (Number.isFinite(ms)) stages[name] = ms;
}

function merged(samples: Record<string, number>[]): StageSamples {
  const all: StageSamples = {};
  for (const sample of samples) for (const [name, ms] of Object.entries(sample)) addStage(all, name, ms);
  return all;
}
