import type { SignalDefinition } from '@temporalio/client';
import type { TrackedEvent } from '../domain/events';
import {
  absorbSignal,
  eventSignal,
  traitsSignal,
  userWorkflowId,
  type EventSignal,
  type UserWorkflowInput,
} from '../workflows/messages';
import { beckonUser } from '../workflows/search-attributes';
import { userWorkflow } from '../workflows/user-workflow';
import type { ApiDeps } from './deps';

const TEMPORAL_DEADLINE_MS = 5_000;

type SignalDeps = Pick<ApiDeps, 'temporal' | 'taskQueue' | 'catalogRevision'>;

/**
 * Signals the user's workflow, starting it if it is not running. A bounded wait: past it the
 * caller gets an unavailable error (503) and retries, instead of hanging while Temporal is down.
 */
async function signalUser<Arg>(deps: SignalDeps, pseudonym: string, signal: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
  const start: UserWorkflowInput = { version: 2, pseudonym };
  await deps.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
    deps.temporal.workflow.signalWithStart<typeof userWorkflow, [Arg]>(userWorkflow, {
      workflowId: userWorkflowId(pseudonym),
      taskQueue: deps.taskQueue,
      args: [start],
      signal,
      signalArgs: [arg],
      typedSearchAttributes: [{ key: beckonUser, value: pseudonym }],
    }),
  );
}

/** Hands one event to the user's workflow. */
export async function signalUserEvent(deps: SignalDeps, pseudonym: string, event: TrackedEvent): Promise<void> {
  const signal: EventSignal = { version: 1, event, catalogRevision: await deps.catalogRevision() };
  await signalUser(deps, pseudonym, eventSignal, signal);
}

/** Tells the user's workflow their latest traits (identify). */
export async function signalUserTraits(deps: SignalDeps, pseudonym: string, traits: Record<string, unknown>): Promise<void> {
  await signalUser(deps, pseudonym, traitsSignal, { version: 1, traits });
}

/** Asks the user's workflow to take over an anonymous visitor's state (alias): the visitor hand-over, described at userWorkflow. */
export async function signalUserAbsorb(deps: SignalDeps, pseudonym: string, visitorPseudonym: string): Promise<void> {
  await signalUser(deps, pseudonym, absorbSignal, { version: 1, from: visitorPseudonym });
}
