import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Campaign } from '../domain/campaign/campaign-model';
import type { HistoryView } from '../domain/conditions';
import type { TrackedEvent } from '../domain/events';
import type { UserState } from '../domain/user-state';

/** Signal payload of one event; `version` lets later code read older payloads still in histories. */
export interface EventSignal {
  version: 1;
  event: TrackedEvent;
  /** Revision of the campaign catalog the sender saw; a newer one makes the user workflow reload it. */
  catalogRevision?: number;
}

/** Traits from identify (time zone, locale, plan...). */
export interface TraitsSignal {
  version: 1;
  traits: Record<string, unknown>;
}

/** A journey tells its user workflow that it has ended, so re-entry and concurrency rules see it. */
export interface JourneyEndedSignal {
  version: 1;
  campaignId: string;
  entry: number;
  status: JourneyStatus;
}

/** Sent to a known user's workflow: an anonymous visitor (by pseudonym) turned out to be this user; take over its state. */
export interface AbsorbSignal {
  version: 1;
  from: string;
}

/** Sent by the known user's workflow to the visitor's: hand your state over to `to` and end. */
export interface HandOverSignal {
  version: 1;
  to: string;
}

/** The visitor's state and unhandled events, for the known user's workflow to fold in. */
export interface MergeSignal {
  version: 1;
  from: string;
  state: UserState;
  pending: EventSignal[];
}

/**
 * Input of `userWorkflow`; after continue-as-new it carries the state and any signals not yet handled.
 * `version` is the run's shape: 2 starts journeys through a local activity and takes no patch markers;
 * 1 (runs started before it) decides by patched() as it always did.
 */
export interface UserWorkflowInput {
  version: 1 | 2;
  pseudonym: string;
  state?: UserState;
  pending?: EventSignal[];
  /** The catalog in force when the previous run ended, so a new run needs no reload. */
  catalog?: CampaignCatalog;
  /** Events one run handles before continuing as new; defaults to EVENTS_PER_RUN. */
  eventsPerRun?: number;
  /** Re-runs asked for by ops and not yet handled when the previous run ended. */
  reruns?: RerunSignal[];
}

/** Ops re-run a campaign for this user: a journey starts now, without an entry event (see src/domain/rerun.ts). */
export interface RerunSignal {
  version: 1;
  campaignId: string;
  /** The same request reaching the workflow twice starts one journey. */
  requestId: string;
}

/** The active campaigns at one revision, as the `loadCatalog` activity returns them. */
export interface CampaignCatalog {
  revision: number;
  campaigns: Campaign[];
}

/**
 * `version` is the journey's shape. 1: started as a child, upserts its search attributes in its first task, decides by
 * patched(); 2: started through the client with its search attributes, takes no patch markers, ends with one local activity;
 * 3: as 2, and a first step that is an in-app message records the experiment entry in its own transaction.
 */
export interface JourneyWorkflowInput {
  version: 1 | 2 | 3;
  pseudonym: string;
  campaign: Campaign;
  /** The user's n-th entry into this campaign. */
  entry: number;
  /** The event that started the journey: its properties feed templates and `matchEntry`. */
  entryEvent: TrackedEvent;
  /** What the user had done, at entry; forwarded events are folded in as they come. */
  history: HistoryView;
}

/** `paused`: held before a message step while its campaign is paused; `cancelled` (by ops) and `failed` end a journey as `completed` and `exited` do. */
export type JourneyStatus = 'running' | 'waiting' | 'paused' | 'completed' | 'exited' | 'cancelled' | 'failed';

/** A campaign's lifecycle status as Postgres holds it; `unknown` for a campaign that was never published there. */
export type CampaignStatus = 'active' | 'paused' | 'archived' | 'unknown';

/** Sent to a campaign's held journeys when it resumes, so they re-check at once instead of at the next poll. */
export interface ResumeSignal {
  version: 1;
  campaignId: string;
}

export interface JourneyResult {
  status: 'completed' | 'exited';
  /** Why it exited: an exit event, the goal, an exit step. */
  reason?: string;
  converted: boolean;
  delivered: number;
  /** Step ids in the order visited. */
  path: string[];
}

export interface UserStateView {
  pseudonym: string;
  state: UserState;
  catalogRevision: number;
  /** Events received but not yet folded in. */
  pending: number;
}

export interface JourneyView {
  step: string | undefined;
  status: JourneyStatus;
  path: string[];
  heard: number;
}

export const eventSignal = defineSignal<[EventSignal]>('event');
export const traitsSignal = defineSignal<[TraitsSignal]>('traits');
export const journeyEndedSignal = defineSignal<[JourneyEndedSignal]>('journeyEnded');
export const absorbSignal = defineSignal<[AbsorbSignal]>('absorb');
export const handOverSignal = defineSignal<[HandOverSignal]>('handOver');
export const mergeSignal = defineSignal<[MergeSignal]>('merge');
export const stateQuery = defineQuery<UserStateView>('state');

/** An event forwarded by the user workflow to a running journey that listens to it. */
export const journeyEventSignal = defineSignal<[EventSignal]>('journeyEvent');
export const journeyQuery = defineQuery<JourneyView>('journey');
export const resumeSignal = defineSignal<[ResumeSignal]>('resume');
export const rerunSignal = defineSignal<[RerunSignal]>('rerun');

export function userWorkflowId(pseudonym: string): string {
  return `user:${pseudonym}`;
}

export function journeyWorkflowId(campaignId: string, pseudonym: string, entry: number): string {
  return `journey:${campaignId}:${pseudonym}:${entry}`;
}

/** Input of `erasureWorkflow`: the pseudonym only (no user ID reaches Temporal), and the admin token that asked. */
export interface ErasureInput {
  version: 1;
  erasureId: string;
  pseudonym: string;
  /** The admin token's id (not its secret). */
  requestedBy: string;
}

export interface ErasureResult {
  erasureId: string;
  pseudonym: string;
  removed: { workflows: number; rows: Record<string, number>; keys: number; visitors: number };
}

/** One erasure workflow per person at a time; a second request while it runs joins it. */
export function erasureWorkflowId(pseudonym: string): string {
  return `erasure:${pseudonym}`;
}
