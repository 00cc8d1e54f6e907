import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { eventSignal, stateQuery, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { EVENTS_PER_RUN } from '../../src/workflows/user';
import { testTemporalAddress, workflowBundle } from '../support/env';
import { fakeActivities, seedCampaigns, waitFor } from '../support/workflow-env';

/**
 * One user sending 10,000 events, on the real dev server: every event is folded in, the workflow
 * continues as new every EVENTS_PER_RUN events, and no run's history grows with the user's total.
 * (The time-skipping test server is not used here: it slows to a crawl on histories this long.)
 */
describe('a user sending 10,000 events', () => {
  it('keeps every event and bounds each run', async () => {
    const connection = await Connection.connect({ address: testTemporalAddress() });
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: testTemporalAddress() });
    const taskQueue = `many-events-${Date.now().toString(36)}`;
    const { activities, catalogLoads } = fakeActivities({ current: { revision: 1, campaigns: seedCampaigns() } });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: workflowBundle(), activities });
    const pseudonym = `p-10k-${taskQueue}`;
    const workflowId = userWorkflowId(pseudonym);
    const total = 10_000;
    const batch = 100;
    try {
      await worker.runUntil(async () => {
        const handle = client.workflow.getHandle(workflowId);
        for (let sent = 0; sent < total; sent += batch) {
          await Promise.all(
            Array.from({ length: batch }, (_, i) => {
              const at = new Date().toISOString();
              const signal: EventSignal = {
                version: 1,
                event: { messageId: `e-${sent + i}`, event: (sent + i) % 10 ? 'Page Viewed' : 'Session Started', properties: {}, timestamp: at, receivedAt: at },
                catalogRevision: 1,
              };
              return client.workflow.signalWithStart('userWorkflow', {
                workflowId,
                taskQueue,
                args: [{ version: 1, pseudonym }],
                signal: eventSignal,
                signalArgs: [signal],
              });
            }),
          );
          // A real app's pace: the next batch goes once the workflow has caught up with this one.
          await waitFor(async () => (await handle.query(stateQuery)).state.totalEvents >= sent + batch, 60_000);
        }
        const view = await handle.query(stateQuery);
        expect(view.state.totalEvents).toBe(total);
        expect(view.state.events['Session Started']?.count).toBe(total / 10);
        expect(view.state.events['Page Viewed']?.count).toBe(total - total / 10);
      });

      const runs: { status: string; historyLength: number }[] = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        runs.push({ status: execution.status.name, historyLength: execution.historyLength });
      }
      const longest = Math.max(...runs.map((run) => run.historyLength));
      console.log(`10,000 events: ${runs.length} runs, longest history ${longest} events, catalog loaded ${catalogLoads()} time(s)`);
      expect(runs.length).toBeGreaterThanOrEqual(total / EVENTS_PER_RUN);
      // A signal and its share of workflow tasks per event, per run: far below Temporal's 50K-event limit.
      expect(longest).toBeLessThan(EVENTS_PER_RUN * 4);
      expect(catalogLoads()).toBe(1);
    } finally {
      await nativeConnection.close();
      await connection.close();
    }
  }, 600_000);
});
