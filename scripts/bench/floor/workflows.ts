import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

/** The floor's only signal: one ping, answered by one no-op activity. */
export const pingSignal = defineSignal<[string]>('ping');

export interface FloorActivities {
  noop(pingId: string): Promise<void>;
}

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '30 seconds' });

/**
 * Temporal's floor for Beckon's hot path: a workflow that takes a signal and runs one no-op
 * activity for it, nothing else. Beckon's latency is measured against this on the same server.
 */
export async function floorWorkflow(): Promise<void> {
  const pings: string[] = [];
  setHandler(pingSignal, (pingId) => {
    pings.push(pingId);
  });
  for (;;) {
    await condition(() => pings.length > 0);
    await noop(pings.shift()!);
  }
}
