import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Timeouts and retries of every activity, in one place. */

/** A send retries until it lands or fails non-retryably: no attempt limit, backoff up to 5 minutes. */
export const deliveryActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
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

/** An erasure's steps retry until they succeed (Temporal or Postgres away): the job must finish; the heartbeat shows progress. */
export const erasureActivityOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
