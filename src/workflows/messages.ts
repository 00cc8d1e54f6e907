import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Campaign } from '../domain/campaign';
import type { TrackedEvent } from '../domain/events';
import type { UserState } from '../domain/user-state';

/** Signal payload of one event; `version` lets later code read older payloads still in histories. */
export interface EventSignal {
  version: 1;
  event: TrackedEvent;
}

/** Input of `userWorkflow`; after continue-as-new it carries the state and any signals not yet handled. */
export interface UserWorkflowInput {
  version: 1;
  pseudonym: string;
  state?: UserState;
  pending?: EventSignal[];
  /** Events one run handles before continuing as new; defaults to EVENTS_PER_RUN. */
  eventsPerRun?: number;
}

export interface JourneyWorkflowInput {
  version: 1;
  pseudonym: string;
  campaign: Campaign;
  /** The user's n-th entry into this campaign. */
  entry: number;
  /** messageId of the event that started the journey. */
  triggeredBy: string;
}

export type JourneyStatus = 'running' | 'completed';

export interface JourneyResult {
  status: JourneyStatus;
  delivered: number;
}

export interface UserStateView {
  pseudonym: string;
  state: UserState;
  /** Events received but not yet folded in. */
  pending: number;
}

export const eventSignal = defineSignal<[EventSignal]>('event');
export const stateQuery = defineQuery<UserStateView>('state');

export function userWorkflowId(pseudonym: string): string {
  return `user:${pseudonym}`;
}

export function journeyWorkflowId(campaignId: string, pseudonym: string, entry: number): string {
  return `journey:${campaignId}:${pseudonym}:${entry}`;
}
