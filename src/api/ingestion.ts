import { createAliasRepository } from '../db/alias-repository';
import { createGroupRepository } from '../db/group-repository';
import { GROUP_TRAITS } from '../domain/conditions';
import { createDeliveryPolicyRepository } from '../db/delivery-policy-repository';
import { cachedFor } from '../util/cached';
import { createIngestionLedgerRepository } from '../db/ingestion-ledger-repository';
import type { Source } from '../db/source-repository';
import { assertSameKey, createUserRepository } from '../db/user-repository';
import { groupCommit } from '../util/group-commit';
import type { ApiBase } from './deps';
import { ValidationError } from './errors';
import type { IngestMessage } from './segment/segment-normalize';
import { profileFromIdentify } from './segment/identify-profile';
import { signalUserAbsorb, signalUserEvent, signalUserTraits } from './user-signals';

/**
 * The key an anonymous visitor is known by in `users.user_id` and the pseudonym's HMAC input.
 * It starts with a control character, which a real userId may not contain, so the two never collide.
 */
export const anonymousKey = (anonymousId: string): string => `\u001fanonymous:${anonymousId}`;

/** `suppressed`: the person was erased; `untracked`: tracking needs consent they have not given. Both are acknowledged and dropped. */
export type IngestOutcome = 'accepted' | 'duplicate' | 'suppressed' | 'untracked';

/**
 * Takes one checked call to the user's workflow: resolves who it is about, drops a messageId the
 * source already delivered, writes the profile, signals the workflow, then marks the messageId
 * delivered. Any step may fail (503 to the client); a retry redoes only what was not finished,
 * and the user workflow drops an event it has already seen, so a retry is never a second event.
 */
export function createIngestion(deps: ApiBase) {
  const users = createUserRepository(deps.pool);
  const ledger = createIngestionLedgerRepository(deps.pool);
  const aliases = createAliasRepository(deps.pool);
  const groups = createGroupRepository(deps.pool);
  const policies = createDeliveryPolicyRepository(deps.pool);
  // policy.yaml's tracking rule, read at most once a second: the check itself rides on the ledger's reservation.
  const policy = deps.deliveryPolicy ?? cachedFor(() => policies.load(), 1000);
  // Accepts written together while an earlier write is in flight: one UPDATE for many events under load, no wait when idle.
  const accept = groupCommit((entries: { sourceId: string; messageId: string }[]) => ledger.acceptMany(entries));
  // Visitor links this process knows are settled: clients send both IDs on every call after login,
  // and a settled link needs no write per event. Bounded; forgetting one only costs a query.
  const settledLinks = new Map<string, string>();
  const settle = (visitor: string, user: string) => {
    if (settledLinks.size >= 100_000) settledLinks.clear();
    settledLinks.set(visitor, user);
  };

  /** Who the call is about: the workflow's pseudonym, and the profile key when the call creates or updates a profile. */
  async function resolve(message: IngestMessage): Promise<{ pseudonym: string; profileKey?: string; visitor?: string }> {
    const visitorId = message.type === 'alias' ? message.previousId : message.anonymousId;
    const visitor = visitorId === undefined ? undefined : deps.pseudonymize(anonymousKey(visitorId));
    if (message.userId !== undefined) return { pseudonym: deps.pseudonymize(message.userId), profileKey: message.userId, visitor };
    // Only an anonymousId: the visitor's own workflow, or the user it was linked to.
    const linked = await aliases.resolve(visitor!);
    return linked ? { pseudonym: linked } : { pseudonym: visitor!, profileKey: anonymousKey(message.anonymousId!) };
  }

  return async function ingest(source: Source, message: IngestMessage): Promise<IngestOutcome> {
    const profile = message.type === 'identify' ? profileFromIdentify(message) : undefined;
    if (profile && !profile.ok) throw new ValidationError(profile.problems);
    const { pseudonym, profileKey, visitor } = await resolve(message);
    // A call that only touches the profile does it in the reservation's statement.
    const touch = !profile && profileKey !== undefined ? { userId: profileKey } : undefined;
    const reserved = await ledger.reserve(source.id, message.messageId, pseudonym, touch);
    if (reserved.suppressed) return 'suppressed';
    if (touch) assertSameKey(reserved.profilePseudonym, pseudonym);
    if (reserved.entry === 'accepted') return 'duplicate';
    if (!reserved.tracking && (await policy())?.tracking?.requireConsent) {
      // The profile is the app's to keep (messages need it); what the person does is not, without their yes.
      if (profile?.ok && profileKey !== undefined) await users.identify(profileKey, pseudonym, profile.update);
      await accept({ sourceId: source.id, messageId: message.messageId });
      return 'untracked';
    }

    if (profile?.ok) {
      if (profileKey !== undefined) await users.identify(profileKey, pseudonym, profile.update);
      await signalUserTraits(deps, pseudonym, profile.workflowTraits);
    }
    if (message.groupId !== undefined) {
      // Every group of the user at once: the workflow's group traits are replaced, never merged from two calls' halves.
      const traitsByGroup = await groups.join(pseudonym, message.groupId, message.traits);
      await signalUserTraits(deps, pseudonym, { [GROUP_TRAITS]: traitsByGroup });
    }
    if (message.event !== undefined) {
      const { messageId, event, properties, timestamp, receivedAt, eventContext } = message;
      await signalUserEvent(deps, pseudonym, { messageId, event, properties, timestamp, receivedAt, ...(eventContext && { context: eventContext }) });
    }
    // Step 1 of the visitor hand-over, described once at userWorkflow (src/workflows/user-workflow.ts).
    if (visitor !== undefined && visitor !== pseudonym && !settledLinks.has(visitor)) {
      const link = await aliases.link(visitor, pseudonym);
      // Asked until it is known to have been asked: a failure here is retried with the client's retry.
      if (link.userPseudonym === pseudonym && !link.mergeRequested) {
        await signalUserAbsorb(deps, pseudonym, visitor);
        await aliases.markMergeRequested(visitor);
      }
      // Either this user's merge is requested or the visitor belongs to someone else (the first link wins): nothing more to do.
      settle(visitor, link.userPseudonym);
    }
    await accept({ sourceId: source.id, messageId: message.messageId });
    return 'accepted';
  };
}

export type Ingest = ReturnType<typeof createIngestion>;
