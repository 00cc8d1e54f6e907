import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Timeouts and retries of every activity, in one place. */

/** A send retries until it lands or fails non-retryably: no attempt limit, backoff up to 5 minutes. */
export const deliveryActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/**
 * An in-app message (one Postgres transaction, idempotent by its delivery key) as a local activity in the journey's
 * task: the same retries, without the activity's three events and the task that takes its result. Past the local
 * retry threshold the SDK waits between attempts with a timer, so a long outage does not hold the task open.
 */
export const inAppDeliveryLocalActivityOptions: LocalActivityOptions = {
  startToCloseTimeout: deliveryActivityOptions.startToCloseTimeout,
  localRetryThreshold: '10 seconds',
  retry: deliveryActivityOptions.retry,
};

/**
 * One quick, idempotent call (reading the catalog or a campaign's status; recording an entry, its end or a conversion;
 * starting a journey or telling its user workflow that it ended): a local activity, retried while Postgres or Temporal is away.
 */
export const quickLocalActivityOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** An erasure's steps retry until they succeed (Temporal or Postgres away): the job must finish; the heartbeat shows progress. */
export const erasureActivityOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
