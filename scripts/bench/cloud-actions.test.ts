import { temporal } from '@temporalio/proto';
import { cloudActions } from './cloud-actions';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;
// fromObject turns plain numbers into the Longs the generated types want, as a decoded history holds them.
const event = (eventType: temporal.api.enums.v1.EventType, more: Record<string, unknown> = {}): HistoryEvent =>
  temporal.api.history.v1.HistoryEvent.fromObject({ eventType, ...more });
const task = [T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T.EVENT_TYPE_WORKFLOW_TASK_STARTED, T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED].map((type) => event(type));
const upsert = (...names: string[]) =>
  event(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
    upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: Object.fromEntries(names.map((name) => [name, {}])) } },
  });
const marker = (taskId: number) => event(T.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { workflowTaskCompletedEventId: taskId } });

describe('Temporal Cloud actions from a history', () => {
  it('counts a client start, a timer, an activity attempt each, and the tasks themselves not at all', () => {
    const history = [
      event(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
      ...task,
      event(T.EVENT_TYPE_TIMER_STARTED),
      event(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      event(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { attempt: 3 } }),
      event(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
      ...task,
      event(T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    ];
    expect(cloudActions(history)).toBe(1 + 1 + 3);
  });

  it('counts a signal-with-start once, a child at its parent twice, and signals where they arrive', () => {
    const parent = [
      event(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
      event(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
      ...task,
      event(T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
      event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED),
      event(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    ];
    const child = [
      event(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, { workflowExecutionStartedEventAttributes: { parentWorkflowExecution: { workflowId: 'user:x' } } }),
      ...task,
      event(T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
    ];
    expect(cloudActions(parent)).toBe(1 + 2 + 1);
    expect(cloudActions(child)).toBe(0);
    expect(cloudActions(parent, 5)).toBe(2 + 1);
  });

  it('counts markers once per workflow task and no upsert of TemporalChangeVersion alone', () => {
    const history = [marker(4), marker(4), upsert('TemporalChangeVersion'), upsert('BeckonStep', 'BeckonStatus'), marker(9)];
    expect(cloudActions(history)).toBe(2 + 1);
  });
});
