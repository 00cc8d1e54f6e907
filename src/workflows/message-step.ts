import { ActivityFailure, ApplicationFailure, condition, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliverMessageInput, DeliveryOutcome } from '../activities/message-activities';
import { deliveryActivityOptions, inAppDeliveryLocalActivityOptions } from './activity-policies';

/** What a message step ended with, as the journey sees it: an outcome of the activity, or a failure it will not retry. */
export type MessageStepResult = Exclude<DeliveryOutcome, { status: 'deferred' } | { status: 'paused' }> | { status: 'ended'; detail: string };

/** Activities whose calls carry a summary, so the Web UI timeline reads like the campaign. */
function delivery(summary: string, local: boolean) {
  return local ? proxyLocalActivities<Activities>({ ...inAppDeliveryLocalActivityOptions, summary }) : proxyActivities<Activities>({ ...deliveryActivityOptions, summary });
}

/**
 * Sends one message step. A message deferred by quiet hours is asked for again, with the same
 * delivery key, when they end (a durable timer that an exit still interrupts); a send the provider
 * refused for good (a rejected address, a template the user's data cannot fill) is returned, so the journey goes on.
 * A send that answers `paused` (asked with `holdIfPaused`) waits in `holdWhilePaused`, then is asked again.
 * `local`: the send runs as a local activity (journeys of shape 2, in-app messages).
 */
export async function runMessageStep(
  input: DeliverMessageInput,
  summary: string,
  exited: () => boolean,
  holdWhilePaused: () => Promise<void> = async () => {},
  local = false,
): Promise<MessageStepResult> {
  for (;;) {
    let outcome: DeliveryOutcome;
    try {
      outcome = await delivery(summary, local).deliverMessage(input);
    } catch (err) {
      // An activity's failure arrives wrapped in an ActivityFailure; a local activity's (in-app, shape 2) as the ApplicationFailure itself.
      const cause = err instanceof ActivityFailure ? err.cause : err;
      // The provider refused this message for good: noted, and the journey goes on. Anything else fails the journey, visibly.
      if (cause instanceof ApplicationFailure && cause.type === 'DeliveryFailed') {
        return { status: 'failed', reason: cause.type ?? 'failed', detail: cause.message };
      }
      throw err;
    }
    if (outcome.status === 'paused') {
      await holdWhilePaused();
      if (exited()) return { status: 'ended', detail: 'the journey ended while its campaign was paused' };
      continue;
    }
    if (outcome.status !== 'deferred') return outcome;
    const waitMs = Math.max(Date.parse(outcome.until) - Date.now(), 1_000);
    if (await condition(exited, waitMs, { summary: `${input.stepId}: quiet hours until ${outcome.until}` })) {
      return { status: 'ended', detail: 'the journey ended while the message waited for quiet hours to pass' };
    }
  }
}
