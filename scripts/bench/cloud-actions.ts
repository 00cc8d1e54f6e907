import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

/** The search attribute `patched()` may set; Temporal Cloud does not bill its upserts. */
const CHANGE_VERSION = 'TemporalChangeVersion';

/**
 * Temporal Cloud's billable actions in a slice of one workflow's history, by Temporal's published
 * definition ("Temporal Cloud Actions"), as far as a history shows them (queries, activity heartbeats
 * and rejected updates are billed but not recorded there; see BENCHMARKS.md, "Cost per event"):
 * - a start: 1, but a child's start is counted at its parent (2: the start and the execution), and a
 *   signal-with-start (the start followed at once by its signal) is 1 in all, counted at the signal;
 * - a signal received: 1 (from a client or a workflow; counted where it arrives, not where it is sent);
 * - a timer started, an activity attempt started (each retry too), an update accepted: 1 each;
 * - an upsert of search attributes: 1 per command, none when it sets only TemporalChangeVersion;
 * - markers (local activities' results, patches): 1 per workflow task that records any;
 * - an options update, a Nexus operation scheduled or cancelled: 1 each.
 * Counts events from index `from` on; the events before it are read only to tell a signal-with-start.
 */
export function cloudActions(events: HistoryEvent[], from = 0): number {
  let actions = 0;
  const markerTasks = new Set<string>();
  for (let i = from; i < events.length; i++) {
    const event = events[i]!;
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const isChild = Boolean(event.workflowExecutionStartedEventAttributes?.parentWorkflowExecution);
        const signalWithStart = events[i + 1]?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
        if (!isChild && !signalWithStart) actions += 1;
        break;
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        actions += 2;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        // History keeps only the last attempt's start; each earlier attempt was billed too.
        actions += Math.max(1, event.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (fields.some((name) => name !== CHANGE_VERSION)) actions += 1;
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        markerTasks.add(String(event.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? i));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      case EventType.EVENT_TYPE_TIMER_STARTED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
      case EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
      case EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
        actions += 1;
        break;
    }
  }
  return actions + markerTasks.size;
}
