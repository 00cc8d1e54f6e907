import type { Campaign } from './campaign';
import type { TrackedEvent } from './events';

/** Campaigns whose entry rule this event satisfies, in the order given. */
export function campaignsEnteredBy(campaigns: readonly Campaign[], event: TrackedEvent): Campaign[] {
  return campaigns.filter((campaign) => campaign.entry.event === event.event);
}
