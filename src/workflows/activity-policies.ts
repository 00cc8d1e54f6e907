import type { ActivityOptions } from '@temporalio/workflow';

/** Timeouts and retries of every activity, in one place. No attempt limit: a send retries until it lands or fails non-retryably. */
export const deliveryActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};
