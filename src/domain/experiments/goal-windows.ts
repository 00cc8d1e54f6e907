import type { Campaign } from '../campaign/campaign-model';
import { matchesAllFilters, type PropertyFilter } from '../conditions';
import type { TrackedEvent } from '../events';
import type { UserState } from '../user-state';
import { assignExperiment } from './experiment-assignment';

/** An entry whose goal is still being watched: from entry until `deadline`, also after the journey has ended. */
export interface GoalWindow {
  entry: number;
  campaignVersion: number;
  variant: string;
  event: string;
  filters: PropertyFilter[];
  enteredAt: string;
  deadline: string;
  /** Absent: last touch (windows opened before the setting existed have none). */
  attribution?: 'first_touch' | 'none';
}

/** A goal event that closed a window: what the conversion record needs. */
export interface GoalConversion {
  campaignId: string;
  campaignVersion: number;
  entry: number;
  variant: string;
  event: string;
  messageId: string;
  enteredAt: string;
  convertedAt: string;
  /** Absent: last touch. */
  attribution?: 'first_touch' | 'none';
}

/** Opens the goal window of a new entry (a campaign without a goal has none); windows already past their deadline go. */
export function openGoalWindow(state: UserState, campaign: Campaign, pseudonym: string, entry: number, now: number): UserState {
  const goal = campaign.goal;
  if (!goal) return state;
  const window: GoalWindow = {
    entry,
    campaignVersion: campaign.version,
    variant: assignExperiment(campaign, pseudonym).variant,
    event: goal.event,
    filters: goal.filters ?? [],
    enteredAt: new Date(now).toISOString(),
    deadline: new Date(now + goal.withinMs).toISOString(),
    ...(goal.attribution && { attribution: goal.attribution }),
  };
  const at = new Date(now).toISOString();
  const open = (state.goalWindows?.[campaign.id] ?? []).filter((w) => w.deadline >= at && w.entry !== entry);
  return { ...state, goalWindows: { ...state.goalWindows, [campaign.id]: [...open, window] } };
}

/**
 * The conversions an event makes: per campaign, the latest open entry whose goal it meets (one
 * purchase converts one entry, the most recent); that window closes. Which of the entry's messages gets
 * the credit (last touch, first touch or none) is the campaign's `goal.attribution`.
 * Windows past their deadline are dropped. An event no window waits for leaves the state as it was,
 * so it costs nothing (no activity, no database round trip).
 */
export function closeGoalWindows(state: UserState, event: TrackedEvent): { state: UserState; conversions: GoalConversion[] } {
  const windows = state.goalWindows;
  if (!windows) return { state, conversions: [] };
  const at = event.receivedAt;
  const waited = Object.values(windows).some((list) => list.some((w) => w.event === event.event || w.deadline < at));
  if (!waited) return { state, conversions: [] };
  const conversions: GoalConversion[] = [];
  const next: Record<string, GoalWindow[]> = {};
  for (const [campaignId, list] of Object.entries(windows)) {
    const open = list.filter((w) => w.deadline >= at);
    const met = open.filter((w) => w.event === event.event && w.enteredAt <= at && matchesAllFilters(event.properties, w.filters));
    const latest = met.reduce<GoalWindow | undefined>((best, w) => (!best || w.entry > best.entry ? w : best), undefined);
    if (latest) {
      conversions.push({
        campaignId,
        campaignVersion: latest.campaignVersion,
        entry: latest.entry,
        variant: latest.variant,
        event: event.event,
        messageId: event.messageId,
        enteredAt: latest.enteredAt,
        convertedAt: at,
        ...(latest.attribution && { attribution: latest.attribution }),
      });
    }
    const kept = open.filter((w) => w !== latest);
    if (kept.length > 0) next[campaignId] = kept;
  }
  return { state: { ...state, goalWindows: next }, conversions };
}
