import type { TrackedEvent } from './events';

/** How many recent messageIds a user workflow remembers to drop duplicates (clients retry within minutes). */
export const RECENT_MESSAGE_IDS = 500;

/** The compact trigger state of one user, carried across continue-as-new. */
export interface UserState {
  version: 1;
  /** Events folded in over the user's whole life. */
  totalEvents: number;
  /** Per event name: how often and when last. */
  events: Record<string, { count: number; lastAt: string }>;
  /** Oldest first; bounded by RECENT_MESSAGE_IDS. */
  recentMessageIds: string[];
  /** Per campaign: how many journeys this user has entered (the next entry's number). */
  entries: Record<string, number>;
}

export function initialUserState(): UserState {
  return { version: 1, totalEvents: 0, events: {}, recentMessageIds: [], entries: {} };
}

export type ApplyResult = { duplicate: true; state: UserState } | { duplicate: false; state: UserState };

/** Folds one event into the state; an already seen messageId leaves the state as it was. */
export function applyEvent(state: UserState, event: TrackedEvent): ApplyResult {
  if (state.recentMessageIds.includes(event.messageId)) return { duplicate: true, state };
  const previous = state.events[event.event];
  const lastAt = previous && previous.lastAt > event.timestamp ? previous.lastAt : event.timestamp;
  const recentMessageIds = [...state.recentMessageIds, event.messageId].slice(-RECENT_MESSAGE_IDS);
  return {
    duplicate: false,
    state: {
      ...state,
      totalEvents: state.totalEvents + 1,
      events: { ...state.events, [event.event]: { count: (previous?.count ?? 0) + 1, lastAt } },
      recentMessageIds,
    },
  };
}

/** Claims the next entry number of a campaign for this user. */
export function recordEntry(state: UserState, campaignId: string): { state: UserState; entry: number } {
  const entry = (state.entries[campaignId] ?? 0) + 1;
  return { entry, state: { ...state, entries: { ...state.entries, [campaignId]: entry } } };
}
