import { eventsListenedTo, type Campaign } from './campaign/campaign-model';
import { evaluateCondition, matchesAllFilters } from './conditions';
import { eventFilterSubject, type TrackedEvent } from './events';
import { recordEntry, type UserState } from './user-state';

/** A journey the user workflow must start. */
export interface JourneyStart {
  campaign: Campaign;
  entry: number;
  workflowId: string;
  entryEvent: TrackedEvent;
}

export interface EventPlan {
  state: UserState;
  start: JourneyStart[];
  /** Running journeys (workflow IDs) that must hear this event. */
  forwardTo: string[];
}

export type WorkflowIdFor = (campaignId: string, entry: number) => string;

/**
 * Absence rules, written down:
 * - arm: an entry event that passes the filters and conditions arms the rule, deadline = now + within;
 * - re-arm: a later entry event while armed restarts the window (the wait counts from the latest one);
 * - disarm: any event of the absence set removes the armed rule; the next entry event arms it again;
 * - fire: at the deadline the journey starts with the arming event as its entry event, subject to
 *   the re-entry and concurrency rules at that moment.
 */
export function planForEvent(state: UserState, campaigns: readonly Campaign[], event: TrackedEvent, now: number, workflowIdFor: WorkflowIdFor): EventPlan {
  // From what each journey's own version listens to, so journeys of edited or removed campaigns still hear their events.
  const forwardTo = Object.values(state.running)
    .flat()
    .filter((journey) => journey.listensTo.includes(event.event))
    .map((journey) => journey.workflowId);
  let next = state;
  const start: JourneyStart[] = [];
  for (const campaign of campaigns) {
    const absence = campaign.entry.absence;
    if (absence && absence.events.includes(event.event) && next.armed[campaign.id]) {
      const armed = { ...next.armed };
      delete armed[campaign.id];
      next = { ...next, armed };
    }
    if (!entryMatches(next, campaign, event, now)) continue;
    if (absence) {
      next = { ...next, armed: { ...next.armed, [campaign.id]: { deadline: new Date(now + absence.withinMs).toISOString(), armedBy: event } } };
      continue;
    }
    const entered = tryEnter(next, campaign, event, now, workflowIdFor);
    next = entered.state;
    if (entered.start) start.push(entered.start);
  }
  return { state: next, start, forwardTo };
}

/** Fires every absence rule whose deadline has passed. */
export function planForDeadlines(state: UserState, campaigns: readonly Campaign[], now: number, workflowIdFor: WorkflowIdFor): { state: UserState; start: JourneyStart[] } {
  let next = state;
  const start: JourneyStart[] = [];
  for (const [campaignId, armed] of Object.entries(state.armed)) {
    if (Date.parse(armed.deadline) > now) continue;
    const remaining = { ...next.armed };
    delete remaining[campaignId];
    next = { ...next, armed: remaining };
    // A campaign paused or removed since the rule was armed starts nothing; its rule is simply dropped.
    const campaign = campaigns.find((candidate) => candidate.id === campaignId);
    if (!campaign) continue;
    const entered = tryEnter(next, campaign, armed.armedBy, now, workflowIdFor);
    next = entered.state;
    if (entered.start) start.push(entered.start);
  }
  return { state: next, start };
}

/** The earliest armed deadline (ms since epoch), to sleep until; undefined when nothing is armed. */
export function nextDeadline(state: UserState): number | undefined {
  const deadlines = Object.values(state.armed).map((armed) => Date.parse(armed.deadline));
  return deadlines.length > 0 ? Math.min(...deadlines) : undefined;
}

function entryMatches(state: UserState, campaign: Campaign, event: TrackedEvent, now: number): boolean {
  const { entry } = campaign;
  if (event.event !== entry.event || !matchesAllFilters(eventFilterSubject(event), entry.filters)) return false;
  const history = { events: state.events, traits: state.traits };
  return entry.conditions.every((condition) => evaluateCondition(history, condition, now));
}

/** Re-entry and concurrency decide whether the user enters now; entering claims the entry number. */
function tryEnter(state: UserState, campaign: Campaign, event: TrackedEvent, now: number, workflowIdFor: WorkflowIdFor): { state: UserState; start?: JourneyStart } {
  const running = state.running[campaign.id] ?? [];
  if (!campaign.allowConcurrent && running.length > 0) return { state };
  const { reentry } = campaign;
  const entered = state.entries[campaign.id] ?? 0;
  if (reentry.mode === 'once' && entered > 0) return { state };
  const last = state.lastEntryAt[campaign.id];
  if (reentry.mode === 'once_per' && last !== undefined && now - Date.parse(last) < reentry.periodMs) return { state };

  const claimed = recordEntry(state, campaign.id);
  const workflowId = workflowIdFor(campaign.id, claimed.entry);
  const startedAt = new Date(now).toISOString();
  const journey = { workflowId, entry: claimed.entry, startedAt, listensTo: eventsListenedTo(campaign) };
  return {
    state: {
      ...claimed.state,
      lastEntryAt: { ...claimed.state.lastEntryAt, [campaign.id]: startedAt },
      running: { ...claimed.state.running, [campaign.id]: [...running, journey] },
    },
    start: { campaign, entry: claimed.entry, workflowId, entryEvent: event },
  };
}
