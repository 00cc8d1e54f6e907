import {
  allHandlersFinished,
  condition,
  continueAsNew,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { builtinCampaigns } from '../domain/builtin-campaigns';
import { campaignsEnteredBy } from '../domain/triggers';
import { applyEvent, initialUserState, recordEntry, type UserState } from '../domain/user-state';
import { journeyWorkflow } from './journey';
import {
  eventSignal,
  journeyWorkflowId,
  stateQuery,
  type EventSignal,
  type JourneyWorkflowInput,
  type UserWorkflowInput,
} from './messages';

/** Events one run handles before it continues as new, well under Temporal's own suggestion, to keep histories small. */
export const EVENTS_PER_RUN = 1000;

/**
 * The single writer of one user's trigger state. Signals queue up in `pending`; the main loop folds
 * them in order, starts journeys, and continues as new with the state and whatever is still queued.
 */
export async function userWorkflow(input: UserWorkflowInput): Promise<void> {
  const { pseudonym } = input;
  let state: UserState = input.state ?? initialUserState();
  const pending: EventSignal[] = [...(input.pending ?? [])];
  let handledThisRun = 0;

  setHandler(eventSignal, (signal) => {
    pending.push(signal);
  });
  setHandler(stateQuery, () => ({ pseudonym, state, pending: pending.length }));

  const eventsPerRun = input.eventsPerRun ?? EVENTS_PER_RUN;
  const shouldRollOver = () => handledThisRun >= eventsPerRun || workflowInfo().continueAsNewSuggested;

  for (;;) {
    await condition(() => pending.length > 0 || shouldRollOver());
    while (pending.length > 0 && !shouldRollOver()) {
      const signal = pending.shift() as EventSignal;
      state = await handleEvent(pseudonym, state, signal);
      handledThisRun += 1;
    }
    if (shouldRollOver()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof userWorkflow>({ ...input, state, pending });
    }
  }
}

async function handleEvent(pseudonym: string, before: UserState, signal: EventSignal): Promise<UserState> {
  const applied = applyEvent(before, signal.event);
  if (applied.duplicate) return before;
  let state = applied.state;
  for (const campaign of campaignsEnteredBy(builtinCampaigns, signal.event)) {
    const claimed = recordEntry(state, campaign.id);
    state = claimed.state;
    await startJourney({ version: 1, pseudonym, campaign, entry: claimed.entry, triggeredBy: signal.event.messageId });
  }
  return state;
}

/** Starts a journey once: if its ID is already taken (a replayed or restarted user workflow), that journey stands. */
async function startJourney(input: JourneyWorkflowInput): Promise<void> {
  const { campaign, pseudonym } = input;
  try {
    await startChild(journeyWorkflow, {
      workflowId: journeyWorkflowId(campaign.id, pseudonym, input.entry),
      args: [input],
      // Journeys outlive the run that started them: the user workflow continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { campaignName: campaign.name },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
