import type { TrackedEvent } from '../domain/events';
import { eventSignal, userWorkflowId, type EventSignal, type UserWorkflowInput } from '../workflows/messages';
import { beckonUser } from '../workflows/search-attributes';
import type { userWorkflow } from '../workflows/user';
import type { ApiDeps } from './deps';

const TEMPORAL_DEADLINE_MS = 5_000;

/**
 * Hands one event to the user's workflow, starting it on the first event. A bounded wait:
 * past it the caller gets an unavailable error (503) and retries, instead of hanging while Temporal is down.
 */
export async function signalUserEvent(deps: ApiDeps, pseudonym: string, event: TrackedEvent): Promise<void> {
  const start: UserWorkflowInput = { version: 1, pseudonym };
  const signal: EventSignal = { version: 1, event, catalogRevision: await deps.catalogRevision() };
  await deps.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
    deps.temporal.workflow.signalWithStart<typeof userWorkflow, [EventSignal]>('userWorkflow', {
      workflowId: userWorkflowId(pseudonym),
      taskQueue: deps.taskQueue,
      args: [start],
      signal: eventSignal,
      signalArgs: [signal],
      typedSearchAttributes: [{ key: beckonUser, value: pseudonym }],
    }),
  );
}
