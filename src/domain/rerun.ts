import { eventsListenedTo, type Campaign } from './campaign/campaign-model';
import type { JourneyStart, WorkflowIdFor } from './entry';
import type { TrackedEvent } from './events';
import { recordEntry, RECENT_MESSAGE_IDS, type UserState } from './user-state';

export type RerunPlan = { state: UserState; start: JourneyStart } | { state: UserState; skipped: 'duplicate' | 'not_active' | 'already_running' };

/**
 * A re-run asked for by ops: the user enters the campaign now, whatever its entry rule and re-entry
 * rule say (re-running a once-only campaign is the point), but never beside a running journey of it
 * unless the campaign allows concurrent journeys, and the same request enters once.
 */
export function planRerun(state: UserState, campaign: Campaign | undefined, requestId: string, now: number, workflowIdFor: WorkflowIdFor): RerunPlan {
  const marker = `rerun:${requestId}`;
  if (state.recentMessageIds.includes(marker)) return { state, skipped: 'duplicate' };
  const seen = { ...state, recentMessageIds: [...state.recentMessageIds, marker].slice(-RECENT_MESSAGE_IDS) };
  if (!campaign) return { state: seen, skipped: 'not_active' };
  const running = seen.running[campaign.id] ?? [];
  if (!campaign.allowConcurrent && running.length > 0) return { state: seen, skipped: 'already_running' };
  const at = new Date(now).toISOString();
  // The journey's entry event says it was a re-run; templates see no entry properties.
  const entryEvent: TrackedEvent = { messageId: marker, event: campaign.entry.event, properties: {}, timestamp: at, receivedAt: at };
  const claimed = recordEntry(seen, campaign.id);
  const workflowId = workflowIdFor(campaign.id, claimed.entry);
  const journey = { workflowId, entry: claimed.entry, startedAt: at, listensTo: eventsListenedTo(campaign) };
  return {
    state: {
      ...claimed.state,
      lastEntryAt: { ...claimed.state.lastEntryAt, [campaign.id]: at },
      running: { ...claimed.state.running, [campaign.id]: [...running, journey] },
    },
    start: { campaign, entry: claimed.entry, workflowId, entryEvent },
  };
}
