import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  patched,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { nextDeadline, planForDeadlines, planForEvent, type JourneyStart } from '../domain/entry';
import { closeGoalWindows, openGoalWindow } from '../domain/experiments/goal-windows';
import { planRerun } from '../domain/rerun';
import { applyEvent, applyTraits, journeyEnded, mergeUserStates, upgradeUserState, type UserState } from '../domain/user-state';
import { quickLocalActivityOptions } from './activity-policies';
import { signalExternal } from './external-signals';
import { journeyWorkflow } from './journey-workflow';
import {
  absorbSignal,
  eventSignal,
  handOverSignal,
  journeyEndedSignal,
  journeyEventSignal,
  journeyWorkflowId,
  mergeSignal,
  rerunSignal,
  stateQuery,
  traitsSignal,
  type CampaignCatalog,
  type EventSignal,
  type JourneyWorkflowInput,
  type RerunSignal,
  type UserWorkflowInput,
  userWorkflowId,
} from './messages';

/** Events one run handles before it continues as new, well under Temporal's own suggestion, to keep histories small. */
export const EVENTS_PER_RUN = 1000;

const { loadCatalog } = proxyLocalActivities<Activities>(quickLocalActivityOptions);
const { recordConversion } = proxyLocalActivities<Activities>(quickLocalActivityOptions);
const { startJourney: startJourneyActivity } = proxyLocalActivities<Activities>(quickLocalActivityOptions);

/**
 * From this patch on, the user workflow watches each entry's goal (also after its journey ended,
 * also for held-out entries) and records a conversion when a goal event closes one.
 */
export const GOAL_WINDOWS = 'goal-windows';

/**
 * From this patch on, a run of shape 1 starts journeys of shape 2, through a local activity (not as children):
 * no child start or completion reaches the user workflow's history. Runs of shape 2 do so without the patch.
 */
export const JOURNEYS_STARTED_BY_ACTIVITY = 'journeys-started-by-activity';

/**
 * The single writer of one user's trigger state. Signals queue up; the main loop folds them in
 * order, starts journeys, forwards events to running journeys that listen to them, fires absence
 * deadlines, and continues as new with the state and whatever is still queued.
 */
export async function userWorkflow(input: UserWorkflowInput): Promise<void> {
  const { pseudonym } = input;
  let state: UserState = upgradeUserState(input.state);
  let catalog: CampaignCatalog = input.catalog ?? { revision: -1, campaigns: [] };
  const pending: EventSignal[] = [...(input.pending ?? [])];
  const reruns: RerunSignal[] = [...(input.reruns ?? [])];
  let handledThisRun = 0;
  // Shape 2 takes every patched() branch below without a marker; shape 1 (runs recorded before it) asks patched().
  const shape2 = input.version === 2;
  const watchGoals = shape2 || patched(GOAL_WINDOWS);
  /** Asked once per run, at its first journey, so runs that start none record no marker. */
  let byActivity: boolean | undefined = shape2 || undefined;

  setHandler(eventSignal, (signal) => {
    pending.push(signal);
  });
  // Traits and journey ends touch no campaign logic, so they apply at once, in signal order.
  setHandler(traitsSignal, ({ traits }) => {
    state = applyTraits(state, traits);
  });
  setHandler(journeyEndedSignal, ({ campaignId, entry, status }) => {
    if (status === 'cancelled' || status === 'failed') log.info(`journey ${campaignId} #${entry} ${status}: campaign freed for re-entry`, { campaignId, entry, status });
    state = journeyEnded(state, campaignId, entry);
  });

  /**
   * Visitor hand-over: its one description (src/api/ingestion.ts, src/db/alias-repository.ts,
   * mergeUserStates in src/domain/user-state.ts and the README's "Anonymous visitors" point here).
   *
   * An anonymous visitor has a workflow of its own, `user:<pseudonym of its anonymousId>`, until a call
   * links it to a known user:
   * 1. link (API, ingestion.ts): a call with both IDs, or an alias, records the link in Postgres
   *    (alias-repository.ts: the first link wins, and later anonymous-only calls go to the user), signals
   *    `absorb {from: visitor}` to the user's workflow (signal-with-start), then marks the merge requested,
   *    so a failed signal is asked again on the client's retry.
   * 2. absorb (here, the user's workflow): signals `handOver {to: user}` to the visitor's workflow. A visitor
   *    that has no running workflow (never started, handed over already, erased) has nothing to give: logged.
   * 3. hand over (here, the visitor's workflow): once its handlers are done, sends `merge {state, pending}`
   *    to the user's workflow and ends. If the user's workflow is not running, it stays the visitor's, with its events (logged).
   * 4. merge (here, the user's workflow): folds the visitor's state in with mergeUserStates (counts add up,
   *    the latest time wins, the user's traits win, armed absence rules move over) and queues its unhandled events.
   * Journeys the visitor was in stay with it and finish there. Each step is logged; a signal that fails for
   * any reason but "not running" fails the workflow task (signalExternal), which Temporal retries: nothing is swallowed.
   */
  const absorbing: string[] = [];
  let handOverTo: string | undefined;
  setHandler(absorbSignal, ({ from }) => {
    if (from !== pseudonym) absorbing.push(from);
  });
  setHandler(handOverSignal, ({ to }) => {
    if (to !== pseudonym) handOverTo ??= to;
  });
  setHandler(mergeSignal, ({ from, state: theirs, pending: theirPending }) => {
    state = mergeUserStates(state, upgradeUserState(theirs));
    pending.push(...theirPending);
    log.info(`merged visitor ${from}: ${theirPending.length} queued events taken over`, { from, events: theirPending.length });
  });
  setHandler(rerunSignal, (signal) => {
    reruns.push(signal);
  });
  setHandler(stateQuery, () => ({ pseudonym, state, catalogRevision: catalog.revision, pending: pending.length }));

  const idFor = (campaignId: string, entry: number) => journeyWorkflowId(campaignId, pseudonym, entry);
  const eventsPerRun = input.eventsPerRun ?? EVENTS_PER_RUN;
  const shouldRollOver = () => handledThisRun >= eventsPerRun || workflowInfo().continueAsNewSuggested;

  /** Starts the journeys of every absence rule due at `at`, on a freshly loaded catalog (a campaign may have changed or gone). */
  const fireDeadlines = async (at: number) => {
    const due = nextDeadline(state);
    if (due === undefined || due > at) return;
    catalog = await loadCatalog();
    const fired = planForDeadlines(state, catalog.campaigns, at, idFor);
    // The state is written before any await, so signal handlers that run meanwhile change the latest state.
    state = fired.state;
    for (const start of fired.start) await begin(start);
  };

  for (;;) {
    const deadline = nextDeadline(state);
    const wake = () => pending.length > 0 || reruns.length > 0 || absorbing.length > 0 || handOverTo !== undefined || shouldRollOver();
    if (deadline === undefined) await condition(wake);
    else await condition(wake, Math.max(deadline - Date.now(), 1), { summary: 'next absence deadline' });

    while (absorbing.length > 0) {
      const from = absorbing.shift()!;
      const asked = await signalExternal(userWorkflowId(from), handOverSignal, { version: 1, to: pseudonym });
      log.info(asked ? `asked visitor ${from} to hand over` : `visitor ${from} has no running workflow: nothing to absorb`, { from });
    }
    if (handOverTo !== undefined && (await handOver(handOverTo))) return;

    // At most the run's budget: under a steady stream the queue may never empty, and the run must still end.
    // What is left goes into the next run's input.
    while (pending.length > 0 && !shouldRollOver()) {
      const signal = pending.shift()!;
      // A deadline that passed before this event was received fires first: an event late in the queue cannot disarm it.
      await fireDeadlines(Math.min(Date.parse(signal.event.receivedAt), Date.now()));
      if (catalog.revision < 0 || (signal.catalogRevision ?? -1) > catalog.revision) catalog = await loadCatalog();
      await handleEvent(signal);
      handledThisRun += 1;
    }
    await fireDeadlines(Date.now());
    if (reruns.length > 0) await handleReruns();
    if (shouldRollOver() && absorbing.length === 0 && handOverTo === undefined) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof userWorkflow>({ ...input, version: 2, state, pending, catalog, ...(reruns.length > 0 && { reruns }) });
    }
  }

  /** Re-runs from ops, on a freshly loaded catalog (the campaign must be active now). */
  async function handleReruns(): Promise<void> {
    catalog = await loadCatalog();
    while (reruns.length > 0) {
      const { campaignId, requestId } = reruns.shift()!;
      const plan = planRerun(state, catalog.campaigns.find((c) => c.id === campaignId), requestId, Date.now(), idFor);
      state = plan.state;
      if ('start' in plan) await begin(plan.start);
    }
  }

  /** Step 3 of the visitor hand-over (above): true when the known user's workflow took this visitor's state and queue, and this workflow may end. */
  async function handOver(to: string): Promise<boolean> {
    await condition(allHandlersFinished);
    const handed = pending.splice(0);
    if (await signalExternal(userWorkflowId(to), mergeSignal, { version: 1, from: pseudonym, state, pending: handed })) {
      log.info(`handed over to ${to} with ${handed.length} queued events; this visitor's workflow ends`, { to, events: handed.length });
      return true;
    }
    // The user's workflow is gone (erased or terminated): stay the visitor's workflow, with its events.
    log.info(`stays the visitor's workflow: ${to} is not running`, { to });
    pending.unshift(...handed);
    handOverTo = undefined;
    return false;
  }

  async function handleEvent(signal: EventSignal): Promise<void> {
    const applied = applyEvent(state, signal.event);
    if (applied.duplicate) return;
    const plan = planForEvent(applied.state, catalog.campaigns, signal.event, Date.now(), idFor);
    // Written before the awaits below: a journeyEnded or traits signal handled meanwhile must not be overwritten.
    state = plan.state;
    for (const workflowId of plan.forwardTo) {
      // A journey that has just ended cannot take the signal (logged); its end reaches us as journeyEnded.
      await signalExternal(workflowId, journeyEventSignal, signal);
    }
    for (const start of plan.start) await begin(start);
    if (watchGoals) await recordConversions(signal);
  }

  /** Starts a journey and, with goals watched, opens its entry's goal window. */
  async function begin(start: JourneyStart): Promise<void> {
    if (watchGoals) state = openGoalWindow(state, start.campaign, pseudonym, start.entry, Date.now());
    byActivity ??= patched(JOURNEYS_STARTED_BY_ACTIVITY);
    if (byActivity) await startJourney(pseudonym, start, state);
    else await startJourneyAsChild(pseudonym, start, state);
  }

  /** The conversions this event makes; an event that closes no goal window costs nothing. */
  async function recordConversions(signal: EventSignal): Promise<void> {
    const closed = closeGoalWindows(state, signal.event);
    state = closed.state;
    for (const conversion of closed.conversions) {
      await recordConversion({ ...conversion, pseudonym });
      log.info('goal reached', { campaignId: conversion.campaignId, entry: conversion.entry, variant: conversion.variant });
    }
  }
}

/**
 * Starts a journey of shape 3 (2 before it, see JourneyWorkflowInput) once, through the client in a local activity: one marker in this history
 * instead of the child's start, its started event and its completion, each with a task of this workflow.
 * If its ID is already taken (a retried or restarted start), that journey stands.
 */
async function startJourney(pseudonym: string, start: JourneyStart, state: UserState): Promise<void> {
  const { campaign, entry, entryEvent, workflowId } = start;
  const journey: JourneyWorkflowInput = { version: 3, pseudonym, campaign, entry, entryEvent, history: { events: state.events, traits: state.traits } };
  const { started } = await startJourneyActivity({ workflowId, taskQueue: workflowInfo().taskQueue, journey });
  if (started) log.info(`started journey ${workflowId}`, { campaignId: campaign.id, campaignVersion: campaign.version, entry });
  else log.info(`journey ${workflowId} already started: that one stands`, { campaignId: campaign.id, entry });
}

/** Shape 1: starts a journey once, as a child; if its ID is already taken (a replayed or restarted user workflow), that journey stands. */
async function startJourneyAsChild(pseudonym: string, start: JourneyStart, state: UserState): Promise<void> {
  const { campaign, entry, entryEvent, workflowId } = start;
  try {
    await startChild(journeyWorkflow, {
      workflowId,
      args: [{ version: 1, pseudonym, campaign, entry, entryEvent, history: { events: state.events, traits: state.traits } }],
      // Journeys outlive the run that started them: the user workflow continues as new.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { campaignName: campaign.name, campaignVersion: campaign.version },
      staticSummary: `${campaign.name} (v${campaign.version}), entry ${entry}`,
    });
    log.info(`started journey ${workflowId}`, { campaignId: campaign.id, campaignVersion: campaign.version, entry });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info(`journey ${workflowId} already started: that one stands`, { campaignId: campaign.id, entry });
  }
}
