import type { FastifyBaseLogger } from 'fastify';
import { createEngagementRepository } from '../db/engagement-repository';
import { engagementEvent, parseDeliveryKey, type Engagement } from '../domain/engagement';
import type { ApiBase } from './deps';
import { signalUserEvent } from './user-signals';
import { runPeriodically } from '../util/periodic';

/** How a report ended: handed to the workflow, kept for a retry (Temporal unreachable), or not about a Beckon delivery. */
export type ReportOutcome = 'signalled' | 'pending' | 'unknown_delivery';

/** Pending reports younger than this are left to the request that recorded them (it may still be signalling). */
const RETRY_AFTER_MS = 10_000;
const RETRY_BATCH = 200;

/**
 * Engagement (opens, clicks) reaches the user's workflow as `Message Opened` / `Message Clicked`.
 * Each report is written to Postgres first, then signalled; what could not be signalled is retried
 * later, so an open or click made while Temporal is down still counts, and counts once.
 */
export function createEngagementReporter(deps: ApiBase, log: FastifyBaseLogger) {
  const events = createEngagementRepository(deps.pool);
  const inFlight = new Set<Promise<boolean>>();

  const signal = async (pseudonym: string, event: NonNullable<ReturnType<typeof engagementEvent>>): Promise<boolean> => {
    try {
      await signalUserEvent(deps, pseudonym, event);
      await events.markSignalled(event.messageId);
      return true;
    } catch (err) {
      log.warn({ err, messageId: event.messageId }, 'engagement kept for a later retry: the user workflow could not be signalled');
      return false;
    }
  };

  return {
    /**
     * Records the engagement and hands it to the user workflow; Temporal being down is not an error here.
     * With `background`, answers once it is recorded: a reader following a link does not wait on Temporal.
     */
    async report(engagement: Engagement, expectedPseudonym?: string, options: { background?: boolean } = {}): Promise<ReportOutcome> {
      const ref = parseDeliveryKey(engagement.deliveryKey);
      const event = engagementEvent(engagement, new Date());
      if (!ref || !event || (expectedPseudonym !== undefined && ref.pseudonym !== expectedPseudonym)) return 'unknown_delivery';
      const recorded = await events.record(ref, engagement.deliveryKey, engagement.channel, event);
      if (recorded.signalled) return 'signalled';
      // A repeat while the first report is still signalling (or waiting for a retry) leaves the signal to that one.
      if (!recorded.inserted) return 'pending';
      if (options.background) {
        const attempt = signal(ref.pseudonym, event);
        inFlight.add(attempt);
        void attempt.finally(() => inFlight.delete(attempt));
        return 'pending';
      }
      return (await signal(ref.pseudonym, event)) ? 'signalled' : 'pending';
    },

    /** Waits for the signals still running in the background (each bounded by the Temporal deadline); for shutdown. */
    async settle(): Promise<void> {
      await Promise.all([...inFlight]);
    },

    /** Signals the reports that earlier attempts could not; safe to run from every replica (workflows drop duplicate messageIds). */
    async retryPending(olderThanMs = RETRY_AFTER_MS): Promise<{ signalled: number; failed: number }> {
      let signalled = 0;
      let failed = 0;
      for (const { pseudonym, event } of await events.pending(RETRY_BATCH, olderThanMs)) {
        if (await signal(pseudonym, event)) signalled++;
        else {
          failed++;
          break; // Temporal is still down: the rest waits for the next round.
        }
      }
      return { signalled, failed };
    },
  };
}

export type EngagementReporter = ReturnType<typeof createEngagementReporter>;

/** Runs `retryPending` every `intervalMs` until stopped; rounds never overlap. */
export function scheduleEngagementRetries(reporter: EngagementReporter, intervalMs: number, log: FastifyBaseLogger): () => Promise<void> {
  return runPeriodically(
    intervalMs,
    async () => {
      const result = await reporter.retryPending();
      if (result.signalled > 0) log.info(result, 'pending engagement events signalled');
    },
    (err) => log.warn({ err }, 'engagement retry round failed'),
  );
}
