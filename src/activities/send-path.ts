import { ApplicationFailure, log } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import { createDeliveryPolicyRepository } from '../db/delivery-policy-repository';
import { createDeliveryRepository, type DeliveryRecord, type NewDelivery } from '../db/delivery-repository';
import { createExperimentRepository } from '../db/experiment-repository';
import type { ContactPoints } from '../db/profile-repository';
import { createSendDecisionRepository } from '../db/send-decision-repository';
import { withTransaction } from '../db/transaction';
import { cachedFor } from '../util/cached';
import type { Channel } from '../domain/campaign/campaign-schema';
import type { DeliveryPolicy } from '../domain/campaign/campaign-schema';
import { capDay, decideSend, deliveryZone, type SkipReason } from '../domain/delivery-policy';
import { SendRejected, type ChannelSender, type OutgoingMessage } from './channels/channel-sender';
import type { DeliverMessageInput, DeliveryOutcome } from './message-activities';

/** Points on the send path where a test worker kills itself (BECKON_FAULT_POINT), to prove what a crash there does. */
export const FAULT_POINTS = ['after-reserve', 'after-claim', 'after-send', 'after-outcome'] as const;
/** Inside the one transaction of a channel that delivers within it (the inbox): after its row, before the outcome and the commit. */
export const IN_TRANSACTION_FAULT_POINTS = ['in-transaction-after-inbox'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number] | (typeof IN_TRANSACTION_FAULT_POINTS)[number];

export interface SendPathDeps {
  pool: Pool;
  senders: Partial<Record<Channel, ChannelSender>>;
  now: () => Date;
  fault: (point: FaultPoint) => void;
}

type Checked =
  | { kind: 'record'; record: DeliveryRecord; contact: ContactPoints }
  | { kind: 'rejected'; rejected: SendRejected }
  | { kind: 'deferred'; until: Date }
  | { kind: 'paused' }
  | { kind: 'no_profile' };

/** A provider that has not taken the message yet: its own wait (Retry-After) replaces the policy's backoff for this retry. */
function retryOf(input: DeliverMessageInput, err: SendRejected): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${input.channel} send not accepted yet: ${err.message}`,
    type: 'DeliveryRetry',
    ...(err.retryAfterMs !== undefined && { nextRetryDelay: err.retryAfterMs }),
  });
}

function failureOf(input: DeliverMessageInput, err: SendRejected): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${input.channel} send failed: ${err.message}`, 'DeliveryFailed', { reason: err.reason, detail: err.detail });
}

/** What a final record tells a retry: the same answer the first attempt gave. */
function outcomeOf(record: DeliveryRecord): DeliveryOutcome | undefined {
  switch (record.status) {
    case 'sent':
      return { status: 'sent', providerId: record.providerId ?? '' };
    case 'skipped':
      return { status: 'skipped', reason: (record.reason ?? 'no_consent') as SkipReason, detail: record.detail ?? '' };
    case 'failed':
      return { status: 'failed', reason: record.reason ?? 'unknown', detail: record.detail ?? '' };
    case 'unknown':
      return { status: 'unknown', detail: record.detail ?? '' };
    default:
      return undefined;
  }
}

/** The message a channel is handed; the profile's traits are fresher than the journey's copy from entry. */
function outgoingOf(input: DeliverMessageInput, contact: ContactPoints): OutgoingMessage {
  return {
    deliveryKey: input.deliveryKey,
    pseudonym: input.pseudonym,
    campaignId: input.campaignId,
    campaignVersion: input.campaignVersion,
    stepId: input.stepId,
    category: input.category,
    template: input.template,
    context: { ...input.context, traits: { ...input.context.traits, ...contact.traits } },
    contact,
  };
}

/**
 * The send path of one message step. One transaction locks the user's row, finds an earlier
 * attempt's record or checks consent, address, quiet hours and caps and records the decision;
 * then the delivery is claimed (reserved -> sending), handed to the channel, and the outcome recorded.
 * A channel that delivers into Beckon's own Postgres (the in-app inbox, `sendWithin`) does all of it in
 * the one transaction: the decision, the inbox row and the `sent` record commit together or not at all.
 * The guarantee at each point is in the README, "Delivery guarantees".
 */
export function createSendPath(deps: SendPathDeps) {
  const { pool } = deps;
  // Outside the check's transaction, each statement on its own.
  const deliveries = createDeliveryRepository(pool);
  // Published with the campaigns and rarely changed: read once a second, not once per send.
  const policies = createDeliveryPolicyRepository(pool);
  const policyNow = cachedFor(() => policies.load(), 1000);

  const check = async (input: DeliverMessageInput, delivery: NewDelivery): Promise<Checked> => {
    // Read before the transaction takes its client: a second client asked for while one is held can
    // wait forever on a full pool (or on embedded PGlite, which serves one connection at a time).
    const policy = await policyNow();
    return withTransaction(pool, async (client) => {
      let entryRecorded = input.entry === undefined;
      // Before the delivery's record, whose roll-up trigger reads the entry's arm; late, as the entry's roll-up row is shared by the campaign's users.
      const recordEntry = async () => {
        if (entryRecorded) return;
        entryRecorded = true;
        await createExperimentRepository(client).recordEntry(input.entry!);
      };
      const checked = await decide(client, input, delivery, policy, recordEntry);
      await recordEntry();
      return checked;
    });
  };

  /** Under the user's lock: an earlier record, or the checks and the decision; a channel that delivers within the transaction delivers here. */
  const decide = async (
    client: PoolClient,
    input: DeliverMessageInput,
    delivery: NewDelivery,
    policy: DeliveryPolicy | undefined,
    recordEntry: () => Promise<void>,
  ): Promise<Checked> => {
    const locked = createDeliveryRepository(client);
    const decision = createSendDecisionRepository(client);
    // The lock first: what the decision reads is read after it, by a statement of its own (see send-decision-repository).
    const profile = await decision.lockProfile(input.pseudonym);
    const now = deps.now();
    const traitZone = typeof profile?.traits.timezone === 'string' ? profile.traits.timezone : undefined;
    const zone = deliveryZone(profile?.timezone ?? traitZone, policy);
    const day = capDay(now, zone);
    const facts = await decision.facts({ pseudonym: input.pseudonym, campaignId: input.campaignId, deliveryKey: input.deliveryKey, localDay: day });
    // Held before anything is decided, as the journey's pause gate did before (also a user without a profile); a recorded decision stands.
    if (input.holdIfPaused && facts.campaignStatus === 'paused' && !facts.earlier) return { kind: 'paused' };
    if (!profile) return { kind: 'no_profile' };
    const contact: ContactPoints = { ...profile, pushTokens: facts.pushTokens };
    if (facts.earlier) return { kind: 'record', record: facts.earlier, contact };
    const decided = decideSend({
      now,
      channel: input.channel,
      category: input.category,
      consents: facts.consents,
      hasAddress: deps.senders[input.channel]?.hasAddress(contact) ?? false,
      zone,
      policy,
      campaign: input.delivery ?? {},
      counts: facts.counts,
    });
    if (decided.action === 'defer') return { kind: 'deferred', until: decided.until };
    await recordEntry();
    if (decided.action === 'skip') return { kind: 'record', record: await locked.recordSkip(delivery, decided.reason, decided.detail), contact };
    const sender = deps.senders[input.channel];
    if (!sender?.sendWithin) return { kind: 'record', record: await locked.reserve(delivery, decided.localDay, decided.countsTowardCap), contact };
    // The inbox row is the delivery: no reservation to commit first, no claim, no outcome after.
    let providerId: string;
    try {
      ({ providerId } = await sender.sendWithin(client, outgoingOf(input, contact)));
    } catch (err) {
      if (!(err instanceof SendRejected)) throw err; // Rolled back: nothing recorded, the retry decides again.
      if (err.retryable) throw retryOf(input, err);
      // Refused for good (a template the user's data cannot fill): recorded as failed with the decision, then thrown.
      await locked.recordFailed(delivery, decided.localDay, err.reason, err.detail);
      return { kind: 'rejected', rejected: err };
    }
    deps.fault('in-transaction-after-inbox');
    return { kind: 'record', record: await locked.recordSent(delivery, decided.localDay, decided.countsTowardCap, providerId), contact };
  };

  /** Hands a claimed delivery to the channel and records what the provider said. */
  const send = async (sender: ChannelSender, input: DeliverMessageInput, contact: ContactPoints): Promise<DeliveryOutcome> => {
    const key = input.deliveryKey;
    let providerId: string;
    try {
      ({ providerId } = await sender.send(outgoingOf(input, contact)));
    } catch (err) {
      if (!(err instanceof SendRejected)) throw err; // Unsure whether it left: the record stays `sending` for the retry to judge.
      if (err.retryable) {
        await deliveries.release(key, err.message);
        throw retryOf(input, err);
      }
      await deliveries.markFailed(key, err.reason, err.detail);
      throw failureOf(input, err);
    }
    deps.fault('after-send');
    await deliveries.markSent(key, providerId);
    deps.fault('after-outcome');
    return { status: 'sent', providerId };
  };

  return async function deliver(input: DeliverMessageInput): Promise<DeliveryOutcome> {
    const sender = deps.senders[input.channel];
    if (!sender) throw ApplicationFailure.nonRetryable(`the ${input.channel} channel is not configured on this worker`, 'ChannelNotConfigured');
    const delivery: NewDelivery = {
      deliveryKey: input.deliveryKey,
      pseudonym: input.pseudonym,
      campaignId: input.campaignId,
      campaignVersion: input.campaignVersion,
      stepId: input.stepId,
      channel: input.channel,
      category: input.category,
    };
    const checked = await check(input, delivery);
    if (checked.kind === 'no_profile') return { status: 'skipped', reason: 'no_profile', detail: 'the user has no profile' };
    if (checked.kind === 'deferred') return { status: 'deferred', until: checked.until.toISOString() };
    if (checked.kind === 'paused') return { status: 'paused' };
    if (checked.kind === 'rejected') throw failureOf(input, checked.rejected);
    const { record, contact } = checked;
    const done = outcomeOf(record);
    if (done) return done;
    deps.fault('after-reserve');

    if (record.status === 'reserved' && (await deliveries.claim(input.deliveryKey))) {
      deps.fault('after-claim');
      return send(sender, input, contact);
    }
    // An earlier attempt claimed it and stopped (or is still running) without recording what the provider said.
    const now = (await deliveries.find(input.deliveryKey))!;
    const settled = outcomeOf(now);
    if (settled) return settled;
    if (sender.repeatSafe && (await deliveries.reclaim(input.deliveryKey))) return send(sender, input, contact);
    const unknown = await deliveries.markUnknown(input.deliveryKey, 'an earlier attempt stopped while sending; not sent again, to never send twice');
    log.warn('delivery outcome unknown; not resent', { deliveryKey: input.deliveryKey, channel: input.channel });
    return outcomeOf(unknown ?? (await deliveries.find(input.deliveryKey))!) ?? { status: 'unknown', detail: 'interrupted while sending' };
  };
}
