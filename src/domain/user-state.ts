import type { TrackedEvent } from './events';
import type { GoalWindow } from './experiments/goal-windows';

/** How many recent messageIds a user workflow remembers to drop duplicates (clients retry within minutes). */
export const RECENT_MESSAGE_IDS = 500;

/** A journey the user is in now, as the user workflow tracks it to forward events and enforce concurrency. */
export interface RunningJourney {
  workflowId: string;
  entry: number;
  startedAt: string;
  /** Event names its campaign listens to (exit, goal, wait-for, branch conditions). */
  listensTo: string[];
}

/** An absence rule waiting for its deadline: "after A, none of B within N". */
export interface ArmedAbsence {
  deadline: string;
  /** The A that armed it; the journey starts with it as its entry event. */
  armedBy: TrackedEvent;
}

/** The compact trigger state of one user, carried across continue-as-new. */
export interface UserState {
  version: 1;
  /** Events folded in over the user's whole life. */
  totalEvents: number;
  /** Per event name: how often and when last. */
  events: Record<string, { count: number; lastAt: string }>;
  /** Latest traits (identify); `timezone` among them is the user's IANA zone. */
  traits: Record<string, unknown>;
  /** Oldest first; bounded by RECENT_MESSAGE_IDS. */
  recentMessageIds: string[];
  /** Per campaign: how many journeys this user has entered (the last entry's number). */
  entries: Record<string, number>;
  /** Per campaign: when the user last entered it (for "once per N days"). */
  lastEntryAt: Record<string, string>;
  /** Per campaign: journeys still running. */
  running: Record<string, RunningJourney[]>;
  /** Per campaign: an armed absence rule. */
  armed: Record<string, ArmedAbsence>;
  /** Per campaign: entries whose goal is still watched (see domain/experiments/goal-windows.ts); absent in older states. */
  goalWindows?: Record<string, GoalWindow[]>;
}

export function initialUserState(): UserState {
  return { version: 1, totalEvents: 0, events: {}, traits: {}, recentMessageIds: [], entries: {}, lastEntryAt: {}, running: {}, armed: {} };
}

/** States recorded before a field existed get its empty value (workflows carry state across deploys). */
export function upgradeUserState(state: Partial<UserState> | undefined): UserState {
  return { ...initialUserState(), ...state };
}

export type ApplyResult = { duplicate: true; state: UserState } | { duplicate: false; state: UserState };

/** Folds one event into the state; an already seen messageId leaves the state as it was. */
export function applyEvent(state: UserState, event: TrackedEvent): ApplyResult {
  if (state.recentMessageIds.includes(event.messageId)) return { duplicate: true, state };
  const recentMessageIds = [...state.recentMessageIds, event.messageId].slice(-RECENT_MESSAGE_IDS);
  return {
    duplicate: false,
    state: { ...state, totalEvents: state.totalEvents + 1, events: countEvent(state.events, event), recentMessageIds },
  };
}

/** Per event name, one more occurrence; `lastAt` keeps the latest timestamp even when events arrive out of order. */
export function countEvent(events: UserState['events'], event: TrackedEvent): UserState['events'] {
  const previous = events[event.event];
  const lastAt = previous && previous.lastAt > event.timestamp ? previous.lastAt : event.timestamp;
  return { ...events, [event.event]: { count: (previous?.count ?? 0) + 1, lastAt } };
}

/** Merges traits from identify; `null` removes a trait. */
export function applyTraits(state: UserState, traits: Record<string, unknown>): UserState {
  const merged = { ...state.traits };
  for (const [key, value] of Object.entries(traits)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return { ...state, traits: merged };
}

/** Claims the next entry number of a campaign for this user. */
export function recordEntry(state: UserState, campaignId: string): { state: UserState; entry: number } {
  const entry = (state.entries[campaignId] ?? 0) + 1;
  return { entry, state: { ...state, entries: { ...state.entries, [campaignId]: entry } } };
}

/** Forgets a journey that has ended. */
export function journeyEnded(state: UserState, campaignId: string, entry: number): UserState {
  const remaining = (state.running[campaignId] ?? []).filter((journey) => journey.entry !== entry);
  const running = { ...state.running };
  if (remaining.length > 0) running[campaignId] = remaining;
  else delete running[campaignId];
  return { ...state, running };
}

/**
 * Folds an anonymous visitor's state into the known user's, when the visitor turns out to be them:
 * what they did before logging in counts toward triggers after. Counts add up, the latest time
 * wins, the known user's traits win over the visitor's. The visitor's running journeys stay with
 * the visitor (their workflow IDs and ends belong to it); its armed absence rules move over.
 * Step 4 of the visitor hand-over, described once at userWorkflow (src/workflows/user-workflow.ts).
 */
export function mergeUserStates(into: UserState, from: UserState): UserState {
  const events = { ...into.events };
  for (const [name, seen] of Object.entries(from.events)) {
    const mine = events[name];
    events[name] = mine
      ? { count: mine.count + seen.count, lastAt: mine.lastAt > seen.lastAt ? mine.lastAt : seen.lastAt }
      : seen;
  }
  const entries = { ...into.entries };
  for (const [campaignId, count] of Object.entries(from.entries)) entries[campaignId] = (entries[campaignId] ?? 0) + count;
  const lastEntryAt = { ...into.lastEntryAt };
  for (const [campaignId, at] of Object.entries(from.lastEntryAt)) {
    const mine = lastEntryAt[campaignId];
    if (!mine || at > mine) lastEntryAt[campaignId] = at;
  }
  const known = new Set(into.recentMessageIds);
  const recentMessageIds = [...into.recentMessageIds, ...from.recentMessageIds.filter((id) => !known.has(id))].slice(-RECENT_MESSAGE_IDS);
  return {
    ...into,
    totalEvents: into.totalEvents + from.totalEvents,
    events,
    traits: { ...from.traits, ...into.traits },
    recentMessageIds,
    entries,
    lastEntryAt,
    armed: { ...from.armed, ...into.armed },
  };
}
