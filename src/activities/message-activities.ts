import type { Pool } from 'pg';
import type { EntryRecord } from '../db/experiment-repository';
import type { Campaign } from '../domain/campaign/campaign-model';
import type { Channel, TemplateDefinition } from '../domain/campaign/campaign-schema';
import type { SkipReason } from '../domain/delivery-policy';
import type { ChannelSender, TemplateContext } from './channels/channel-sender';
import { measuredDeliver, type SendMetrics } from '../metrics/worker-metrics';
import { createSendPath, type FaultPoint } from './send-path';

export interface DeliverMessageInput {
  pseudonym: string;
  /** (campaign version, user, entry, step): the same key never sends twice. */
  deliveryKey: string;
  campaignId: string;
  campaignVersion: number;
  category: string;
  stepId: string;
  channel: Channel;
  template: TemplateDefinition;
  /** Template variables: `entry` (the entry event's properties), `traits`, `variables` (the step's). */
  context: TemplateContext;
  /** The campaign's own cap and quiet-hours choice; absent for versions published before they existed. */
  delivery?: Campaign['delivery'];
  /**
   * Answer `paused`, recording nothing, when the campaign is paused: the journey's pause gate in
   * the same round trip as the send. Journeys started before this existed ask a local activity first.
   */
  holdIfPaused?: boolean;
  /**
   * The journey's experiment entry, recorded in this send's transaction whatever its outcome (journeys of shape 3
   * whose first step is an in-app message): one commit fewer before the message is readable. Idempotent.
   */
  entry?: EntryRecord;
}

/**
 * What became of a message step. Policy decisions are results, not errors: `skipped` (recorded, with
 * the reason) and `deferred` (nothing recorded: call again with the same key at `until`).
 * `failed` and `unknown` come back only to a call that finds an earlier attempt's record.
 */
export type DeliveryOutcome =
  | { status: 'sent'; providerId: string }
  | { status: 'skipped'; reason: SkipReason; detail: string }
  | { status: 'deferred'; until: string }
  | { status: 'paused' }
  | { status: 'failed'; reason: string; detail: string }
  | { status: 'unknown'; detail: string };

export interface MessageActivityDeps {
  pool: Pool;
  /** The channels this worker can send on; a step on another channel fails for good, naming it. */
  senders: Partial<Record<Channel, ChannelSender>>;
  /** The clock of the policy checks (tests pin it to test quiet hours and local days). */
  now?: () => Date;
  /** Called at each fault point of the send path; a test worker kills itself at the one it was given. */
  fault?: (point: FaultPoint) => void;
  /** Counts sends by channel, outcome and reason, and their latency (the worker's /metrics). */
  metrics?: SendMetrics;
}

/** One activity per message step; the channel decides how the message leaves. */
export function createMessageActivities(deps: MessageActivityDeps) {
  const unmeasured = createSendPath({
    pool: deps.pool,
    senders: deps.senders,
    now: deps.now ?? (() => new Date()),
    fault: deps.fault ?? (() => {}),
  });
  const deliver = deps.metrics ? measuredDeliver(deps.metrics, unmeasured) : unmeasured;
  return {
    // An arrow, so tests and wiring can take it off the object.
    deliverMessage: (input: DeliverMessageInput): Promise<DeliveryOutcome> => deliver(input),
  };
}
