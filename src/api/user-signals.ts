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
import { AdmissionTimeout, createAdmissionGate, type AdmissionGate } from '../util/admission-gate';
import type { ApiDeps } from './deps';
import { BusyError, isSlowAnswer } from './errors';

/** One attempt's wait for Temporal's answer. */
const ATTEMPT_DEADLINE_MS = 5_000;
/** All attempts of one signal together: with the slot wait, within the 10 s Segment's clients wait for an answer. */
const SIGNAL_BUDGET_MS = 7_000;
/** A retry needs at least this much of the budget left to be worth making. */
const MIN_ATTEMPT_MS = 1_000;
/** How long a call waits for a free signal slot before it is answered 429 (on top of the budget above). */
const SIGNAL_SLOT_WAIT_MS = 2_000;
/** The Retry-After of that 429. */
const BUSY_RETRY_AFTER_S = 1;

type SignalDeps = Pick<ApiDeps, 'temporal' | 'taskQueue' | 'catalogRevision' | 'signalGate'>;

/**
 * Signals the user's workflow, starting it if it is not running. At most TEMPORAL_SIGNALS_IN_FLIGHT of these
 * run at once per API process, so a slow Temporal (the dev server's one SQLite connection under a load test)
 * sees a bounded queue instead of every call at once; a call that finds no free slot in time is answered
 * 429 with Retry-After, nothing recorded. An attempt that runs out of time is made again within the
 * budget: signal-with-start is safe to repeat here, because the workflow drops an event whose messageId it
 * has seen, traits replace what they name, and an absorb asked twice hands over once. Past the budget
 * the caller gets an unavailable error (503) and retries, instead of hanging while Temporal is down.
 */
async function signalUser<Arg>(deps: SignalDeps, pseudonym: string, signal: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
  const start: UserWorkflowInput = { version: 2, pseudonym };
  const signalWithStart = () =>
    deps.temporal.workflow.signalWithStart<typeof userWorkflow, [Arg]>(userWorkflow, {
      workflowId: userWorkflowId(pseudonym),
      taskQueue: deps.taskQueue,
      args: [start],
      signal,
      signalArgs: [arg],
      typedSearchAttributes: [{ key: beckonUser, value: pseudonym }],
    });
  try {
    await deps.signalGate.run(() => withinBudget(deps, signalWithStart));
  } catch (err) {
    if (err instanceof AdmissionTimeout) throw new BusyError(BUSY_RETRY_AFTER_S, { cause: err });
    throw err;
  }
}

/** The gate of one API process's signals: `limit` in flight (TEMPORAL_SIGNALS_IN_FLIGHT), the rest wait their turn briefly. */
export function createSignalGate(limit: number): AdmissionGate {
  return createAdmissionGate({ limit, maxWaitMs: SIGNAL_SLOT_WAIT_MS });
}

/** Makes the call again after an attempt that ran out of time, while the budget allows one more. */
async function withinBudget(deps: SignalDeps, call: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + SIGNAL_BUDGET_MS;
  for (;;) {
    try {
      await deps.temporal.withDeadline(Math.min(Date.now() + ATTEMPT_DEADLINE_MS, until), call);
      return;
    } catch (err) {
      if (!isSlowAnswer(err) || until - Date.now() < MIN_ATTEMPT_MS) throw err;
    }
  }
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
