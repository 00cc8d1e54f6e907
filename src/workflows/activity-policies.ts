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
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/** Reading the campaign catalog is one quick query: a local activity, retried while Postgres is away. */
export const catalogActivityOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Recording an entry, its end or a conversion is one idempotent statement: a local activity, retried while Postgres is away. */
export const experimentActivityOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Starting a journey, or telling its user workflow that it ended, is one call to Temporal: a local activity, retried while Temporal is away. */
export const journeyStartEndActivityOptions: LocalActivityOptions = {
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
